"""The event report's codes: per discount or access code, what it sold.

One line per code of the event (used or not, so a code nobody typed shows as such), from the
sold orders that carry it (`Order.code_id`, `OrderStatus.sold()`, as every figure of the
report): `uses` is those orders (the code's own counter also counts unpaid checkouts holding a
use, which the report leaves out until they are paid), `tickets` their tickets, `discount` what
the code took off (`Order.discount_minor`, the price before the code less the price paid),
`revenue` what buyers paid (gross, as the revenue chart's) and `net` the same less the platform
fee, refunds and disputes (`api.admin.figures`, so it adds up with the revenue chart's net).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.figures import disputed_minor
from api.checkout import codes
from api.db import Code, Event, Order, OrderLine, OrderStatus


@dataclass(frozen=True)
class CodeLine:
    code: str
    gives: str
    """What the code gives, in the words the event page uses ("25% off")."""
    active: bool
    max_uses: int | None
    uses: int
    tickets: int
    discount: int
    revenue: int
    net: int


async def code_lines(db: AsyncSession, *, event: Event) -> list[CodeLine]:
    """Every code of the event with its sold orders' figures, the most used first."""
    tickets = (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.order_id == Order.id)
        .scalar_subquery()
    )
    sold = and_(
        Order.code_id == Code.id,
        Order.event_id == event.id,
        Order.status.in_(OrderStatus.sold()),
    )
    net = Order.total_minor - Order.fee_minor - Order.refunded_minor - disputed_minor()
    rows = (
        await db.execute(
            select(
                Code,
                func.count(Order.id),
                func.coalesce(func.sum(tickets), 0),
                func.coalesce(func.sum(Order.discount_minor), 0),
                func.coalesce(func.sum(Order.total_minor), 0),
                func.coalesce(func.sum(net), 0),
            )
            .outerjoin(Order, sold)
            .where(Code.event_id == event.id)
            .group_by(Code.id)
        )
    ).all()
    lines = [
        CodeLine(
            code=code.code, gives=codes.summary(codes.Applied.of(code), event.currency),
            active=code.active, max_uses=code.max_uses, uses=int(uses), tickets=int(count),
            discount=int(discount), revenue=int(revenue), net=int(left),
        )
        for code, uses, count, discount, revenue, left in rows
    ]  # fmt: skip
    return sorted(lines, key=lambda line: (-line.uses, line.code))
