"""Emailing an order's tickets again, at the request of its organizer's staff or the operator:
the message is queued in the outbox and the request audited, in one transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import Order
from api.errors import Refused
from api.mail.outbox import NothingToSend, queue_resend


async def resend_tickets(
    db: AsyncSession, *, order: Order, organizer_id: uuid.UUID, actor: str
) -> None:
    """Queue the order's valid passes to its buyer again; Refused when none is left to send."""
    try:
        await queue_resend(db, order_id=order.id)
    except NothingToSend as exc:
        await db.rollback()
        raise Refused(f"Nothing to resend: {exc}.") from exc
    audit.record(db, organizer_id=organizer_id, actor=actor, action="tickets.resent",
                 target=str(order.id))  # fmt: skip
    await db.commit()
