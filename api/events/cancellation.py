"""Cancelling an event: every pass voided, every paid order refunded, every buyer told.

One owner's click writes, in one transaction, the durable record (`EventCancellation`), the
event's `cancelled_at` (its page says "cancelled", checkout refuses it) and one outbox job per
sold order (`ORDER_JOB`), by one INSERT … SELECT whatever the number of orders. The worker then
runs each job in its own transaction (`cancel_order`):

1. the order's valid passes are voided with reason `event_cancelled` (the refunds' own path,
   `fulfilment.void_free`: seats freed, a pass change the door pulls, "Event cancelled — do not
   admit" on its red verdict);
2. the buyer's email (`MAIL_KIND`) is queued once per order;
3. what is left of its payment is refunded through `api.payments.refunds.request_refund`, the
   dashboard's own path (Stripe with `reverse_transfer`, the webhook then marks the order).

A job that crashes after Stripe accepted the refund but before its transaction committed is run
again: its voids are no-ops, its email is not queued twice (one per order, looked up), and the
refund's idempotency key (derived from the order's refunded amount, unchanged until Stripe's
webhook says otherwise) makes Stripe answer with the same refund. Once the webhook has recorded
it, nothing is left to refund and Stripe is not asked at all. Never a second refund.

Orders that a checkout in flight completes after the click (a buyer already on Stripe's page)
are caught by `SWEEP_JOB`: run when the longest hold has ended, it queues a job for every sold
order that has none, and comes back while unpaid checkouts remain.

How it is going is `api.events.cancellation_progress`'s (read from the jobs and the refunds).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.checkout import fulfilment
from api.checkout.services import HOLD_FOR, SESSION_MARGIN
from api.db import (
    Event,
    EventCancellation,
    Order,
    OrderStatus,
    OutboxMessage,
    Pass,
    PassStatus,
    utcnow,
)
from api.errors import Invalid, Refused
from api.mail import after_sale
from api.payments.gateway import StripeGateway
from api.payments.refunds import request_refund

EVENT_CANCELLED = "event_cancelled"
"""The void reason of its passes (door wording: api/passes/void_wording.json)."""
ORDER_JOB = "event_cancellation_order"
"""Outbox kind: void, email and refund one order (payload: `cancellation_id`, `order_id`)."""
SWEEP_JOB = "event_cancellation_sweep"
"""Outbox kind: queue the jobs of orders sold after the click (payload: `cancellation_id`)."""
MAIL_KIND = after_sale.CANCELLED
"""Outbox kind of the buyer's email (payload: `order_id`, `refund_minor`)."""
SWEEP_AFTER = HOLD_FOR + SESSION_MARGIN + timedelta(minutes=2)
MESSAGE_MAX = 2000

_SOLD = [str(status) for status in OrderStatus.sold()]

_QUEUE = text(
    """
    INSERT INTO outbox_message (id, kind, payload, status, attempts, available_at, created_at)
    SELECT gen_random_uuid(), CAST(:kind AS varchar),
           jsonb_build_object('cancellation_id', CAST(:cancellation_id AS text),
                              'order_id', CAST(o.id AS text)),
           'pending', 0, now(), now()
    FROM "order" AS o
    WHERE o.event_id = :event_id AND o.status = ANY(CAST(:sold AS text[]))
      AND NOT EXISTS (
          SELECT FROM outbox_message AS m
          WHERE m.kind = CAST(:kind AS varchar) AND m.payload->>'order_id' = CAST(o.id AS text)
            AND m.payload->>'cancellation_id' = CAST(:cancellation_id AS text))
    ORDER BY o.created_at
    """
)


@dataclass(frozen=True)
class Affected:
    """What cancelling would touch, for the confirmation step."""

    orders: int
    """Sold orders (each gets an email; their valid passes are voided)."""
    passes: int
    """Valid passes, voided."""
    paid_orders: int
    """Orders with money left to refund through Stripe."""
    refund_minor: int
    pending: int
    """Checkouts waiting for payment right now (caught by the sweep if they complete)."""


async def affected(db: AsyncSession, *, event: Event) -> Affected:
    orders = await db.execute(
        select(
            func.count(),
            func.count().filter(
                Order.total_minor > Order.refunded_minor,
                Order.status.in_((OrderStatus.paid, OrderStatus.partially_refunded)),
            ),
            func.coalesce(
                func.sum(Order.total_minor - Order.refunded_minor).filter(
                    Order.status.in_((OrderStatus.paid, OrderStatus.partially_refunded))
                ),
                0,
            ),
        ).where(Order.event_id == event.id, Order.status.in_(_SOLD))
    )
    count, paid, money = orders.one()
    passes = await db.scalar(
        select(func.count())
        .select_from(Pass)
        .where(Pass.event_id == event.id, Pass.status == PassStatus.valid)
    )
    pending = await db.scalar(
        select(func.count())
        .select_from(Order)
        .where(Order.event_id == event.id, Order.status == OrderStatus.pending)
    )
    return Affected(int(count), int(passes or 0), int(paid), int(money), int(pending or 0))


async def cancellation_of(db: AsyncSession, *, event_id: uuid.UUID) -> EventCancellation | None:
    return await db.scalar(select(EventCancellation).where(EventCancellation.event_id == event_id))


async def cancel_event(
    db: AsyncSession, *, event: Event, message: str, confirm: str, actor: str
) -> EventCancellation:
    """Cancel `event` (its owner typed its name as `confirm`); the jobs do the rest."""
    message = message.strip().replace("\x00", "")
    if confirm.strip() != event.name.strip():
        raise Invalid("Type the event's name exactly to confirm that it is cancelled.")
    if len(message) > MESSAGE_MAX:
        raise Invalid(f"The message to buyers is at most {MESSAGE_MAX} characters.")
    # The event row first, locked: two owners clicking at once make one cancellation.
    locked = await db.scalar(
        select(Event)
        .where(Event.id == event.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None or locked.cancelled_at is not None:
        raise Refused("This event is already cancelled.")
    counts = await affected(db, event=locked)
    locked.cancelled_at = utcnow()
    record = EventCancellation(
        event_id=locked.id, message=message, actor=actor, orders=counts.orders,
        passes=counts.passes,
    )  # fmt: skip
    db.add(record)
    await db.flush()
    await queue_jobs(db, cancellation=record)
    db.add(
        OutboxMessage(
            kind=SWEEP_JOB,
            payload={"cancellation_id": str(record.id)},
            available_at=utcnow() + SWEEP_AFTER,
        )
    )
    audit.record(
        db, organizer_id=locked.organizer_id, actor=actor, action="event.cancelled",
        target=str(locked.id),
        details={"orders": counts.orders, "passes": counts.passes,
                 "refund_minor": counts.refund_minor},
    )  # fmt: skip
    await db.commit()
    return record


async def queue_jobs(db: AsyncSession, *, cancellation: EventCancellation) -> int:
    """One job for each sold order of the event that has none yet; how many were queued."""
    result = await db.execute(
        _QUEUE,
        {"kind": ORDER_JOB, "cancellation_id": str(cancellation.id),
         "event_id": cancellation.event_id, "sold": _SOLD},
    )  # fmt: skip
    return int(getattr(result, "rowcount", 0) or 0)


async def sweep(db: AsyncSession, *, cancellation_id: uuid.UUID) -> dict[str, Any]:
    """The sweep job's work: jobs for orders sold since, and another sweep while checkouts are
    still open (their buyers may still pay)."""
    record = await db.get(EventCancellation, cancellation_id)
    if record is None:
        return {"queued": 0}
    queued = await queue_jobs(db, cancellation=record)
    pending = await db.scalar(
        select(func.count())
        .select_from(Order)
        .where(Order.event_id == record.event_id, Order.status == OrderStatus.pending)
    )
    if pending:
        db.add(
            OutboxMessage(
                kind=SWEEP_JOB,
                payload={"cancellation_id": str(record.id)},
                available_at=utcnow() + SWEEP_AFTER,
            )
        )
    return {"queued": queued, "still_pending": int(pending or 0)}


async def _emailed(db: AsyncSession, order_id: uuid.UUID) -> bool:
    found = await db.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == MAIL_KIND,
            OutboxMessage.payload["order_id"].astext == str(order_id),
        )
        .limit(1)
    )
    return found is not None


async def cancel_order(
    db: AsyncSession,
    gateway: StripeGateway | None,
    *,
    cancellation_id: uuid.UUID,
    order_id: uuid.UUID,
) -> dict[str, Any]:
    """One order of a cancelled event: void, email, refund (see the module docstring). Returns
    what happened (kept on the job). Raises `Unavailable` (Stripe did not answer: try again) or
    `Refused` (this order cannot be refunded: the organizer must look)."""
    record = await db.get(EventCancellation, cancellation_id)
    if record is None:
        return {"outcome": "no_cancellation"}
    async with db.begin_nested():
        order = await fulfilment.locked_order(db, order_id=order_id)
        if order is None or order.status not in OrderStatus.sold():
            return {"outcome": "not_sold"}
        valid = [
            p for p in await fulfilment.order_pass_list(db, order) if p.status == PassStatus.valid
        ]
        await fulfilment.void_free(db, order_id=order.id, items=valid, reason=EVENT_CANCELLED)
        left = order.total_minor - order.refunded_minor
        refundable = left > 0 and order.status in (OrderStatus.paid, OrderStatus.partially_refunded)
        if order.buyer_email and not await _emailed(db, order.id):
            db.add(
                OutboxMessage(
                    kind=MAIL_KIND,
                    payload={"order_id": str(order.id), "refund_minor": left if refundable else 0},
                    available_at=utcnow(),
                )
            )
    note: dict[str, Any] = {"voided": len(valid)}
    if not refundable:
        return {**note, "outcome": "disputed" if order.status == "disputed" else "no_refund"}
    async with db.begin_nested():
        started = await request_refund(
            db, gateway, order=order, amount=None, passes=[], reason=EVENT_CANCELLED,
            actor=record.actor, commit=False,
        )  # fmt: skip
    return {**note, "outcome": "refund_requested", "refund_id": started.refund_id}
