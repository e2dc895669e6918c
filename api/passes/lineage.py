"""Which passes stand in for others: a transfer voids a pass and issues another to its new
holder (api/passes/transfer.py, recorded as `PassTransfer`), maybe again and again.

The money stays on the original order, so whatever the payment does reaches the passes issued
in place of its own: a refund or a dispute of the order voids them too, and a dispute won
gives them back (api/checkout/fulfilment.py), else a ticket given away would still admit after
its price went back to the card.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Pass, PassTransfer
from api.passes.tokens import pass_key_text


async def with_passed_on(session: AsyncSession, items: Sequence[Pass]) -> list[Pass]:
    """`items` and every pass issued in place of one of them, transfer after transfer."""
    found = list(items)
    frontier = [p.id for p in items]
    while frontier:
        rows = await session.scalars(
            select(Pass)
            .join(PassTransfer, PassTransfer.to_pass_id == Pass.id)
            .where(PassTransfer.from_pass_id.in_(frontier))
            .order_by(Pass.change_seq)
        )
        heirs = list(rows)
        found.extend(heirs)
        frontier = [p.id for p in heirs]
    return found


async def transfer_notes(session: AsyncSession, *, order_id: uuid.UUID) -> dict[str, str]:
    """For the order page: each pass of the order that was transferred, by its code, with whom
    it went to ("to ana@example.com")."""
    rows = await session.execute(
        select(Pass.pass_key, PassTransfer.to_email)
        .join(PassTransfer, PassTransfer.from_pass_id == Pass.id)
        .where(PassTransfer.from_order_id == order_id)
    )
    return {pass_key_text(key): f"to {email}" for key, email in rows.all()}
