"""The guest list a door phone may search offline: who holds which pass, by name, email and
order reference (issue 16, section 3).

Only phones paired with a "scan and search" link download it (`ScannerDevice.may_search`);
a "scan only" phone never receives a name. The list is withheld from 24 hours after the event
ends, the moment the phones erase their copy too. It is one row per pass, in the compact array
form of `wire.Guest`, so 50,000 passes travel as about 3.5 MB of JSON (well under 1 MB
gzipped) and fit a phone's memory for keystroke search.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout.holders import holder_name
from api.db import Attendee, Event, Order, OrderStatus, Pass, ScannerDevice, utcnow
from api.db.orders import order_reference
from api.passes.tokens import pass_key_text

KEPT_AFTER_EVENT = timedelta(hours=24)
"""Door phones keep guest names until this long after the event ends."""

SCAN_ONLY = (
    "This phone was paired to scan only. To find guests by name, pair it with a "
    "“scan and search” link from the organizer."
)
ERASED = "Guest names are erased from door phones 24 hours after the event ends."


class NoGuestList(Exception):
    """This device may not have the guest list (now); the message says why, for the door."""


def names_until(event: Event) -> datetime:
    """When door phones erase guest names (and the server stops sending them)."""
    return event.ends_at + KEPT_AFTER_EVENT


async def guest_rows(
    session: AsyncSession, *, device: ScannerDevice
) -> tuple[Event, list[tuple[str, str, str, str]]]:
    """The device's event and its guests: (pass id, name, email, order reference) per pass of
    a sold order, by name (the ticket's attendee name, else the buyer's). Raises NoGuestList for
    a scan-only phone or after the event."""
    if not device.may_search:
        raise NoGuestList(SCAN_ONLY)
    event = await session.get_one(Event, device.event_id)
    if utcnow() >= names_until(event):
        raise NoGuestList(ERASED)
    name = holder_name()  # the attendee's name when the buyer gave one for this ticket
    rows = await session.execute(
        select(Pass.pass_key, name, Order.buyer_email, Order.id)
        .join(Order, Order.id == Pass.order_id)
        .outerjoin(Attendee, Attendee.pass_id == Pass.id)
        .where(Pass.event_id == event.id, Order.status.in_(OrderStatus.sold()))
        .order_by(name, Order.buyer_email, Pass.change_seq)
    )
    return event, [
        (pass_key_text(key), name, email, order_reference(order_id))
        for key, name, email, order_id in rows
    ]
