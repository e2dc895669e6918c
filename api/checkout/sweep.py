"""The expiry sweep: holds whose Checkout Session ran out are released even if Stripe's
`checkout.session.expired` never arrives (an endpoint misconfigured for a day, a lost event).

A grace period past the session's own expiry leaves Stripe's webhook the first word; a payment
that still completes later is handled as a late payment (fulfilment.fulfil).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import fulfilment
from api.db import Order, OrderStatus, utcnow

GRACE = timedelta(minutes=5)


async def release_lapsed_holds(session: AsyncSession, *, limit: int = 100) -> int:
    """Expire pending orders whose hold ended more than GRACE ago; return how many."""
    lapsed = (
        await session.scalars(
            select(Order.id)
            .where(
                Order.status == OrderStatus.pending,
                Order.hold_expires_at.is_not(None),
                Order.hold_expires_at < utcnow() - GRACE,
            )
            .limit(limit)
        )
    ).all()
    released = 0
    for order_id in lapsed:
        if await fulfilment.expire(session, order_id=order_id):
            released += 1
        await session.commit()
    # Holders with nothing held any more. A checkout taking the row meanwhile is safe: the
    # DELETE re-checks `seats = 0` on the row it waited for, and an upsert whose row vanished
    # inserts it again.
    await session.execute(text("DELETE FROM hold_allowance WHERE seats = 0"))
    await session.commit()
    return released
