"""The waiting list's emails, outbox kinds of their own (payload: `entry_id`, the entry's UUID):

    waiting_joined   written by `api.waiting.services.join`: you are on the list
    waiting_offer    written by `api.waiting.offers` when seats are offered: the claim link
                     and until when the seats are held

Each is rendered when sent, from the entry as it is then: an offer that ended before its email
went out is not sent (there is nothing left to claim).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api import formatting, i18n
from api.db import Event, TicketTier, WaitingEntry, WaitingStatus
from api.mail.addresses import header_text, mailbox
from api.mail.content import render
from api.mail.errors import AddressRefused, Undeliverable
from api.mail.message import Draft
from api.settings import Settings
from api.waiting import offers

KINDS: tuple[str, ...] = (offers.JOINED_KIND, offers.OFFER_KIND)


def offer_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/waiting/offer/{token}"


async def draft(
    session: AsyncSession, *, kind: str, payload: dict[str, Any], settings: Settings
) -> Draft | None:
    """The message of one waiting-list outbox row, or None when there is nothing to say."""
    try:
        entry_id = uuid.UUID(str(payload["entry_id"]))
    except (KeyError, ValueError) as exc:
        raise Undeliverable(f"the payload names no waiting-list entry: {payload!r}") from exc
    entry = await session.get(WaitingEntry, entry_id)
    if entry is None:
        raise Undeliverable(f"waiting-list entry {entry_id} does not exist")
    event = await session.scalar(
        select(Event).where(Event.id == entry.event_id).options(selectinload(Event.organizer))
    )
    tier = await session.get(TicketTier, entry.tier_id)
    if event is None or tier is None:
        raise Undeliverable(f"waiting-list entry {entry_id} has no event or tier any more")
    try:
        to = mailbox(entry.email, name=entry.name)
    except AddressRefused as exc:
        raise Undeliverable(f"the address cannot be used: {exc}") from exc
    i18n.activate(entry.language)  # the language the buyer joined in (outbox.deliver scopes it)
    settings_row = await offers.settings_of(session, tier_id=tier.id)
    context: dict[str, Any] = {
        "event": event,
        "organizer": event.organizer,
        "tier": tier,
        "order": {"source_site": None},
        "when": formatting.when(event.starts_at, event.timezone),
        "quantity": entry.quantity,
        "email": entry.email,
        "hours": settings_row.offer_hours,
        "logo": None,
        "event_image": None,
    }
    if kind == offers.JOINED_KIND:
        subject = header_text(
            i18n.gettext("You are on the waiting list for %(event)s") % {"event": event.name},
            limit=250,
        )
        name = "waiting_joined"
    elif kind == offers.OFFER_KIND:
        if entry.status != WaitingStatus.offered or entry.offer_token is None:
            return None
        assert entry.offer_expires_at is not None
        subject = header_text(
            i18n.gettext("Tickets for you: %(event)s") % {"event": event.name}, limit=250
        )
        name = "waiting_offer"
        context |= {
            "until": formatting.when(entry.offer_expires_at, event.timezone),
            "offer_url": offer_url(settings.base_url, entry.offer_token),
            "free": tier.is_free,
            "price": ""
            if tier.is_free
            else formatting.money(tier.price_minor * entry.quantity, tier.currency),
        }
    else:
        raise Undeliverable(f"no waiting-list email is written for outbox kind {kind!r}")
    context["subject"] = subject
    reply_to = None
    try:
        reply_to = mailbox(event.organizer.contact_email, name=event.organizer.name)
    except AddressRefused:
        reply_to = None
    return Draft(
        to=to,
        subject=subject,
        text=render(f"{name}.txt", context),
        html=render(f"{name}.html", context),
        images=[],
        reply_to=reply_to,
    )
