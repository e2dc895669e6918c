"""Capacity after checkout: sales, releases and refunds as single UPDATEs of the tier's row.

"Count then insert" oversold 100 seats by 56-61 under 400 concurrent buyers on this machine;
`UPDATE … WHERE sold + held + n <= capacity` sold exactly 100 (DESIGN.md). The CHECK constraint
`sold + held <= capacity` stands behind it, and is what refuses the seats taken at checkout
(api/checkout/placement.py).

Unpaid checkouts are also capped per holder: one client address and one buyer email may hold
at most HOLD_CAP seats at once (two checkouts of 10 from one address used to hold a 20-seat
tier for half an hour). The allowance is taken in the checkout's statement and given back here
when the hold ends, whichever way it ends.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order
from api.waiting.offers import seats_freed

HOLD_CAP = 10
"""Seats one client address, and one buyer email, may hold in unpaid checkouts at once: a
whole order of a tier's default maximum (10), not a second one. An order larger than this
(a tier allowing more per order) may still be held, alone (`hold_cap`)."""


def hold_cap(seats: int) -> int:
    """The cap a checkout of `seats` seats is held against."""
    return max(HOLD_CAP, seats)


def holders(*, email: str, client: str | None) -> list[str]:
    """The allowance rows an unpaid checkout counts against, in the one order every checkout
    takes them (so two checkouts sharing both never deadlock)."""
    return sorted([f"email:{email}", *([f"ip:{client}"] if client else [])])


async def give_back(session: AsyncSession, *, order: Order, seats: int) -> None:
    """The hold of `order` ended (paid, expired, cancelled, refunded): its seats leave its
    holders' allowances. Orders held before allowances existed have no `hold_client`."""
    if order.hold_client is None:
        return
    await session.execute(
        text(
            "UPDATE hold_allowance SET seats = greatest(seats - :n, 0) "
            "WHERE holder = ANY(CAST(:holders AS text[]))"
        ),
        {"n": seats, "holders": holders(email=order.buyer_email, client=order.hold_client)},
    )
    order.hold_client = None


async def sell_directly(session: AsyncSession, *, tier_id: uuid.UUID, quantity: int) -> bool:
    """Sell without a hold (free tickets, late payments that still fit)."""
    row = await session.execute(
        text(
            "UPDATE ticket_tier SET sold = sold + :q "
            "WHERE id = :id AND sold + held + :q <= capacity RETURNING id"
        ),
        {"id": tier_id, "q": quantity},
    )
    return row.first() is not None


async def release(session: AsyncSession, *, tier_id: uuid.UUID, quantity: int) -> None:
    """An unpaid hold ended: its seats go to the waiting list first, then back on sale."""
    await session.execute(
        text("UPDATE ticket_tier SET held = held - :q WHERE id = :id"),
        {"id": tier_id, "q": quantity},
    )
    await seats_freed(session, tier_id=tier_id)


async def convert(session: AsyncSession, *, tier_id: uuid.UUID, quantity: int) -> None:
    """A held seat becomes a sold one."""
    await session.execute(
        text("UPDATE ticket_tier SET held = held - :q, sold = sold + :q WHERE id = :id"),
        {"id": tier_id, "q": quantity},
    )


async def unsell(session: AsyncSession, *, tier_id: uuid.UUID, quantity: int) -> None:
    """Refunded or voided seats go to the waiting list first, then back on sale."""
    await session.execute(
        text("UPDATE ticket_tier SET sold = sold - :q WHERE id = :id"),
        {"id": tier_id, "q": quantity},
    )
    await seats_freed(session, tier_id=tier_id)


async def resell(session: AsyncSession, *, tier_id: uuid.UUID, quantity: int) -> bool:
    """A dispute won: the seats are taken again if they are still free."""
    return await sell_directly(session, tier_id=tier_id, quantity=quantity)
