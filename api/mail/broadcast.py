"""Emailing the ticket holders of an event, or of one tier: compose, preview, send.

A holder is an address with at least one valid pass of the event (of the tier, when one is
chosen): one message per address, however many orders or passes it holds, and none to a comp
issued without an address (the page counts those apart). The message is plain text, kept once
(`Broadcast`); each recipient gets an outbox row (`holder_message`, rendered by
`api.mail.after_sale` when sent, with the event's header and a link to their passes). The
preview is that rendering, for the first recipient; sending is refused when the count the
organizer confirmed is not the count now (someone bought or was refunded meanwhile), so what
was previewed is what goes out. Audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import Broadcast, Event, Order, OutboxMessage, Pass, PassStatus, TicketTier, utcnow
from api.errors import Invalid, Refused
from api.mail import after_sale, content
from api.mail.addresses import mailbox
from api.mail.errors import AddressRefused
from api.mail.message import Draft
from api.settings import Settings

SUBJECT_MAX = 200
BODY_MAX = 10_000


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    tier: TicketTier | None


@dataclass(frozen=True)
class Recipients:
    holders: list[tuple[str, uuid.UUID]]
    """(address, one of its orders) per holder, in the order they first bought."""
    without_email: int
    """Orders holding valid passes with no address (comps issued to a name only)."""


def read_message(tiers: list[TicketTier], *, subject: str, body: str, tier: str) -> Message:
    """The compose form's fields, or Invalid with every reason."""
    errors = []
    subject = " ".join(subject.split())
    body = body.replace("\r\n", "\n").replace("\x00", "").strip()
    if not subject:
        errors.append("Write a subject.")
    elif len(subject) > SUBJECT_MAX:
        errors.append(f"The subject is at most {SUBJECT_MAX} characters.")
    if not body:
        errors.append("Write the message.")
    elif len(body) > BODY_MAX:
        errors.append(f"The message is at most {BODY_MAX:,} characters.")
    chosen = None
    if tier.strip():
        chosen = next((t for t in tiers if str(t.id) == tier.strip()), None)
        if chosen is None:
            errors.append("That tier is not one of this event's.")
    if errors:
        raise Invalid(*errors)
    return Message(subject=subject, body=body, tier=chosen)


async def recipients(db: AsyncSession, *, event: Event, tier: TicketTier | None) -> Recipients:
    query = (
        select(Order.buyer_email, Order.id)
        .join(Pass, Pass.order_id == Order.id)
        .where(Order.event_id == event.id, Pass.status == PassStatus.valid)
        .distinct()
        .order_by(Order.id)
    )
    if tier is not None:
        query = query.where(Pass.tier_id == tier.id)
    holders: dict[str, uuid.UUID] = {}
    without = 0
    for email, order_id in (await db.execute(query)).all():
        if not email:
            without += 1
        else:
            holders.setdefault(email, order_id)
    return Recipients(holders=list(holders.items()), without_email=without)


async def preview(
    db: AsyncSession, *, message: Message, to: Recipients, settings: Settings
) -> Draft | None:
    """The message as the first holder will get it (None when there is no one to send to)."""
    if not to.holders:
        return None
    email, order_id = to.holders[0]
    facts = await content.load(db, order_id=order_id, settings=settings)
    try:
        address = mailbox(email, name=facts.order.buyer_name)
    except AddressRefused:
        address = mailbox("holder@example.com")
    return after_sale.render_message(
        message.subject, message.body, context=facts.context, to=address
    )


async def send(
    db: AsyncSession, *, event: Event, message: Message, confirmed: int, actor: str
) -> Broadcast:
    """One outbox message per holder (committed), if the holders are the `confirmed` count."""
    to = await recipients(db, event=event, tier=message.tier)
    if not to.holders:
        raise Refused("No one holds a valid pass to send this to.")
    if len(to.holders) != confirmed:
        raise Refused(
            f"The holders changed since the preview ({confirmed} then, {len(to.holders)} now):"
            " look at the preview again."
        )
    record = Broadcast(
        event_id=event.id, tier_id=message.tier.id if message.tier else None,
        subject=message.subject, body=message.body, actor=actor, recipients=len(to.holders),
    )  # fmt: skip
    db.add(record)
    await db.flush()
    now = utcnow()
    db.add_all(
        OutboxMessage(
            kind=after_sale.HOLDER_MESSAGE,
            payload={"broadcast_id": str(record.id), "email": email, "order_id": str(order_id)},
            available_at=now,
        )
        for email, order_id in to.holders
    )
    audit.record(
        db, organizer_id=event.organizer_id, actor=actor, action="holders.messaged",
        target=str(event.id),
        details={"broadcast": str(record.id), "subject": message.subject,
                 "tier": message.tier.name if message.tier else None,
                 "recipients": len(to.holders)},
    )  # fmt: skip
    await db.commit()
    return record


async def sent_messages(db: AsyncSession, *, event: Event) -> list[Broadcast]:
    rows = await db.scalars(
        select(Broadcast)
        .where(Broadcast.event_id == event.id)
        .order_by(Broadcast.created_at.desc())
    )
    return list(rows)
