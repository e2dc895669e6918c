"""What a wallet pass shows, looked up through the same unguessable order link as the passes page.

A wallet pass deliberately leaves out the order link: a pass shared from a phone's wallet must not
hand over the order's other passes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from api.passes import services as passes
from api.passes.tokens import parse_pass_key_text


class WalletSetupError(Exception):
    """A configured wallet file (certificate, key, service account) cannot be used; the message
    names the setting and the path, never a secret."""


@dataclass(frozen=True, slots=True)
class WalletTicket:
    """One pass with the event facts a wallet shows next to its barcode."""

    pass_id: str
    token: str
    valid: bool
    tier: str
    holder: str
    event_id: uuid.UUID
    event_slug: str
    event_name: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    organizer: str

    def local(self, moment: datetime) -> str:
        """`moment` as ISO 8601 in the event's zone, with its offset (what both wallets read)."""
        return moment.astimezone(ZoneInfo(self.timezone)).replace(microsecond=0).isoformat()


async def find_ticket(
    session: AsyncSession, *, order_public_id: str, pass_id: str, secret_key: str
) -> WalletTicket | None:
    """The pass `pass_id` of the order behind `order_public_id`; None if the two do not match."""
    pass_key = parse_pass_key_text(pass_id)
    if pass_key is None:
        return None
    order = await passes.order_by_link(session, order_public_id)
    if order is None:
        return None
    # A void pass keeps its barcode: the wallet shows it marked void rather than dropping it.
    found = await passes.shown_passes(
        session, order=order, secret_key=secret_key, pass_key=pass_key, void_tokens=True
    )
    item = found[0] if found else None
    if item is None or item.token is None:
        return None
    event = order.event
    return WalletTicket(
        pass_id=item.pass_id,
        token=item.token,
        valid=item.valid,
        tier=item.tier,
        holder=item.holder or order.buyer_name,
        event_id=event.id,
        event_slug=event.slug,
        event_name=event.name,
        venue=event.venue,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        organizer=event.organizer.name,
    )
