"""Emailing an order's tickets again, at the request of its organizer's staff or the operator:
the message is queued in the outbox and the request audited, in one transaction. Several orders
at once (the orders page's bulk resend) are one transaction too: one outbox job and one audit
entry per order that still has a valid pass, and a count of those that had none."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import Order
from api.errors import Refused
from api.mail.outbox import NothingToSend, queue_resend

MAX_AT_ONCE = 500
"""The most orders one bulk resend takes (the orders page shows 50 at a time)."""


async def resend_tickets(
    db: AsyncSession, *, order: Order, organizer_id: uuid.UUID, actor: str
) -> None:
    """Queue the order's valid passes to its buyer again; Refused when none is left to send."""
    try:
        await queue_resend(db, order_id=order.id)
    except NothingToSend as exc:
        await db.rollback()
        raise Refused(f"Nothing to resend: {exc}.") from exc
    _audit(db, order, organizer_id, actor)
    await db.commit()


@dataclass(frozen=True)
class Resent:
    queued: int
    """Orders whose tickets were queued to be emailed again."""
    nothing_left: int
    """Orders with no valid pass left (refunded, voided, never paid): nothing was sent."""


async def resend_many(db: AsyncSession, *, orders: Sequence[Order], actor: str) -> Resent:
    """Queue each order's tickets again (each order with its event loaded, whose organizer the
    audit entry names), in one transaction; Refused for more than MAX_AT_ONCE orders."""
    if len(orders) > MAX_AT_ONCE:
        raise Refused(f"Resend at most {MAX_AT_ONCE} orders at once.")
    queued = 0
    for order in orders:
        try:
            await queue_resend(db, order_id=order.id)  # adds nothing when it raises
        except NothingToSend:
            continue
        _audit(db, order, order.event.organizer_id, actor)
        queued += 1
    await db.commit()
    return Resent(queued=queued, nothing_left=len(orders) - queued)


def _audit(db: AsyncSession, order: Order, organizer_id: uuid.UUID, actor: str) -> None:
    audit.record(db, organizer_id=organizer_id, actor=actor, action="tickets.resent",
                 target=str(order.id))  # fmt: skip
