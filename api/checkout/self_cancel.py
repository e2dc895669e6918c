"""A buyer cancels their own tickets, when the event's rules allow it (issue 17).

The cancellation is a refund like any other: `api.payments.refunds.request_refund` names the
order's valid passes, so Stripe refunds what they cost (reversing the transfer to the
organizer, and giving back the platform fee when the event says so), and the `charge.refunded`
webhook voids them and frees their seats, as for a refund started anywhere else. Free tickets
move no money: the same call voids them at once and their seats go back on sale.

The buyer may cancel some of the order's tickets and keep the others (pretix's open request
#1791): the ones ticked are refunded at their price. Only the order's own tickets: a pass
transferred away is someone else's now (its void stays `transferred`), and an order that holds
a ticket received by transfer has no payment of its buyer's to give back, so it cannot be
cancelled here (the organizer can still refund the original order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import self_service
from api.db import Event, Order, PassStatus
from api.errors import Invalid, Refused
from api.passes import services as passes
from api.passes.tokens import pass_key_text
from api.payments.gateway import StripeGateway
from api.payments.refunds import request_refund

REASON = "Cancelled by the buyer"


@dataclass(frozen=True)
class Cancelled:
    refunded: bool
    """True: Stripe is refunding (the passes void when it confirms); False: voided now."""
    count: int


async def cancel_order(
    db: AsyncSession, gateway: StripeGateway | None, *, order: Order, now: datetime, actor: str,
    codes: list[str] | None = None,
) -> Cancelled:  # fmt: skip
    """Cancel the valid passes `codes` of `order`, or every valid one (commits)."""
    event = await db.get_one(Event, order.event_id)
    rules = await self_service.policy(db, event_id=event.id)
    if await self_service.received_by_transfer(db, order_id=order.id):
        raise Refused("A ticket transferred to you cannot be cancelled here: ask the organizer.")
    until = self_service.deadline(event, rules.cancel_hours) if rules.cancellation else None
    self_service.refuse_after(until, now, what="cancellations", event=event)
    if order.status not in self_service.ACTIVE:
        raise Refused("There is nothing left to cancel in this order.")
    valid = [
        pass_key_text(p.pass_key)
        for p in await passes.order_passes(db, order_id=order.id)
        if p.status == PassStatus.valid
    ]
    if not valid:
        raise Refused("There is nothing left to cancel in this order.")
    chosen = valid if codes is None else list(dict.fromkeys(codes))
    if not chosen:
        raise Invalid("Tick the tickets to cancel.")
    # Named passes that are not this order's valid ones are refused by request_refund.
    started = await request_refund(
        db, gateway, order=order, amount=None, passes=chosen, reason=REASON, actor=actor,
        refund_application_fee=rules.cancel_refunds_fee,
    )  # fmt: skip
    return Cancelled(refunded=started.status == "requested", count=len(chosen))
