"""An event's money, computed in one place for every page that shows it.

Gross is what orders took; Refunds what went back through Stripe; Disputed what a card issuer
holds or took back: the unrefunded rest of an order under an open dispute, or of one whose
dispute was lost. Net = Gross - platform fees - Refunds - Disputed, so money under a dispute is
never shown as the organizer's. A won dispute counts as paid again.

A lost dispute leaves the order `refunded` with its refunded amount unchanged (Stripe sends no
refund for it); its passes keep the void reason `disputed` (see `api.checkout.fulfilment`),
which is how it is told apart from a refund here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, OrderStatus, Pass


@dataclass(frozen=True)
class Money:
    currency: str
    gross: int
    fees: int
    refunds: int
    disputed: int

    @property
    def net(self) -> int:
        return self.gross - self.fees - self.refunds - self.disputed


def disputed_minor() -> ColumnElement[int]:
    """An order's amount a card issuer holds or took back (0 for most): the column `Disputed`
    sums, for queries of sold orders (the reports use it per order)."""
    lost = exists().where(Pass.order_id == Order.id, Pass.void_reason == "disputed")
    under_dispute = or_(
        Order.status == OrderStatus.disputed,
        and_(Order.status == OrderStatus.refunded, lost),
    )
    return case((under_dispute, Order.total_minor - Order.refunded_minor), else_=0)


async def event_money(db: AsyncSession, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Money]:
    disputed = disputed_minor()
    rows = await db.execute(
        select(
            Order.event_id,
            func.min(Order.currency),
            func.sum(Order.total_minor),
            func.sum(Order.fee_minor),
            func.sum(Order.refunded_minor),
            func.sum(disputed),
        )
        .where(Order.event_id.in_(event_ids), Order.status.in_(OrderStatus.sold()))
        .group_by(Order.event_id)
    )
    return {
        event_id: Money(
            currency=currency,
            gross=int(gross or 0),
            fees=int(fees or 0),
            refunds=int(refunds or 0),
            disputed=int(held or 0),
        )
        for event_id, currency, gross, fees, refunds, held in rows.all()
    }
