"""How an event's cancellation is going (api/events/cancellation.py), for its page.

Read from the jobs and the refunds they started: each order is refunded (Stripe confirmed),
pending (its job has not run, or Stripe has not confirmed yet), failed (the job gave up, or
Stripe failed the refund) or has nothing to refund (free orders, comps, money already returned).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import (
    Event,
    EventCancellation,
    Order,
    OrderStatus,
    OutboxMessage,
    Pass,
    PassStatus,
    Refund,
    utcnow,
)
from api.events.cancellation import ORDER_JOB


@dataclass
class Progress:
    refunded: int = 0
    pending: int = 0
    failed: int = 0
    no_refund: int = 0
    valid_passes: int = 0
    failures: list[tuple[Order, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.refunded + self.pending + self.failed + self.no_refund

    @property
    def done(self) -> bool:
        return self.pending == 0


async def progress(db: AsyncSession, *, cancellation: EventCancellation) -> Progress:
    """Each order's state: refunded, pending, failed or nothing to refund (module docstring)."""
    jobs = list(
        await db.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == ORDER_JOB,
                OutboxMessage.payload["cancellation_id"].astext == str(cancellation.id),
            )
        )
    )
    refund_ids = [str(j.payload["refund_id"]) for j in jobs if j.payload.get("refund_id")]
    refunds = {
        r.stripe_refund_id: r
        for r in await db.scalars(select(Refund).where(Refund.stripe_refund_id.in_(refund_ids)))
    }
    order_ids = [uuid.UUID(str(j.payload["order_id"])) for j in jobs]
    orders = {o.id: o for o in await db.scalars(select(Order).where(Order.id.in_(order_ids)))}
    shown = Progress()
    for job in jobs:
        order = orders.get(uuid.UUID(str(job.payload["order_id"])))
        if job.status == "failed":
            shown.failed += 1
            if order is not None:
                shown.failures.append((order, job.last_error or "failed"))
            continue
        if job.status != "sent":
            shown.pending += 1
            continue
        outcome = job.payload.get("outcome")
        if outcome != "refund_requested":
            shown.no_refund += 1
            continue
        refund = refunds.get(str(job.payload.get("refund_id")))
        # Stripe's word on the refund first: one that failed after the charge said "refunded"
        # left the money with the organizer, whatever the order says.
        if refund is not None and refund.status in ("failed", "canceled"):
            shown.failed += 1
            if order is not None:
                shown.failures.append((order, f"Stripe: refund {refund.status}"))
        elif (refund is not None and refund.status == "succeeded") or (
            order is not None and order.status == OrderStatus.refunded
        ):
            shown.refunded += 1
        else:
            shown.pending += 1
    shown.valid_passes = int(
        await db.scalar(
            select(func.count())
            .select_from(Pass)
            .where(Pass.event_id == cancellation.event_id, Pass.status == PassStatus.valid)
        )
        or 0
    )
    return shown


async def retry_failed(db: AsyncSession, *, cancellation: EventCancellation, actor: str) -> int:
    """Run the failed jobs again (after the organizer fixed what stopped them)."""
    result = await db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == ORDER_JOB,
            OutboxMessage.status == "failed",
            OutboxMessage.payload["cancellation_id"].astext == str(cancellation.id),
        )
        .values(status="pending", available_at=utcnow(), last_error=None)
        .returning(OutboxMessage.id)
    )
    count = len(result.all())
    event = await db.get_one(Event, cancellation.event_id)
    audit.record(db, organizer_id=event.organizer_id, actor=actor,
                 action="event.cancellation_retried", target=str(event.id),
                 details={"jobs": count})  # fmt: skip
    await db.commit()
    return count
