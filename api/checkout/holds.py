"""Capacity after checkout: sales, releases and refunds as single UPDATEs of the tier's row.

"Count then insert" oversold 100 seats by 56-61 under 400 concurrent buyers on this machine;
`UPDATE … WHERE sold + held + n <= capacity` sold exactly 100 (DESIGN.md). The CHECK constraint
`sold + held <= capacity` stands behind it, and is what refuses the seats taken at checkout
(api/checkout/placement.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


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
    await session.execute(
        text("UPDATE ticket_tier SET held = held - :q WHERE id = :id"),
        {"id": tier_id, "q": quantity},
    )


async def convert(session: AsyncSession, *, tier_id: uuid.UUID, quantity: int) -> None:
    """A held seat becomes a sold one."""
    await session.execute(
        text("UPDATE ticket_tier SET held = held - :q, sold = sold + :q WHERE id = :id"),
        {"id": tier_id, "q": quantity},
    )


async def unsell(session: AsyncSession, *, tier_id: uuid.UUID, quantity: int) -> None:
    """Refunded or voided seats go back on sale."""
    await session.execute(
        text("UPDATE ticket_tier SET sold = sold - :q WHERE id = :id"),
        {"id": tier_id, "q": quantity},
    )


async def resell(session: AsyncSession, *, tier_id: uuid.UUID, quantity: int) -> bool:
    """A dispute won: the seats are taken again if they are still free."""
    return await sell_directly(session, tier_id=tier_id, quantity=quantity)
