"""An event's self-service rules (`SelfServicePolicy`) and what they let a buyer do now.

The organizer sets them on the event's "Transfers and cancellations" page
(api/admin/self_service_pages.py); the passes page offers what they allow
(`choices`), and the operations check them again when they run (api/passes/transfer.py,
api/checkout/self_cancel.py), so a page left open past a deadline cannot act after it.
Deadlines are so many hours before the event starts, so they follow the event when it moves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import Event, Order, OrderStatus, PassTransfer, Refund, SelfServicePolicy
from api.db.self_service import MAX_HOURS
from api.errors import Invalid, Refused

ACTIVE = (OrderStatus.paid, OrderStatus.partially_refunded)
"""Orders whose buyer may still transfer or cancel: a refunded or disputed one has nothing to."""


@dataclass(frozen=True)
class PolicyFields:
    transfers: bool
    transfer_hours: int
    cancellation: bool
    cancel_hours: int
    cancel_refunds_fee: bool


@dataclass(frozen=True)
class Choices:
    """What the buyer of one order may do now, and until when (for the passes page)."""

    transfer_until: datetime | None
    """None: this event does not allow transfers."""
    can_transfer: bool
    cancel_until: datetime | None
    """None: this event does not allow cancellations (or not for this order)."""
    can_cancel: bool
    received: bool
    """The order holds a ticket someone transferred to its buyer: it is not theirs to refund."""
    refund_pending: bool = False
    """A refund of this order is under way at Stripe: its passes void when it confirms, so the
    page says so rather than offering to cancel them again."""


async def policy(db: AsyncSession, *, event_id: uuid.UUID) -> SelfServicePolicy:
    """The event's rules; an event with none allows nothing."""
    found = await db.get(SelfServicePolicy, event_id)
    return found or SelfServicePolicy(
        event_id=event_id, transfers=False, transfer_hours=0, cancellation=False,
        cancel_hours=48, cancel_refunds_fee=False,
    )  # fmt: skip


def read_fields(data: dict[str, str]) -> PolicyFields:
    """The organizer's form: two yes/no boxes, two hour counts, the fee choice."""
    problems: list[str] = []

    def hours(key: str, label: str) -> int:
        raw = (data.get(key) or "0").strip()
        if not raw.isdigit() or int(raw) > MAX_HOURS:
            problems.append(f"{label} is a whole number of hours from 0 to {MAX_HOURS}.")
            return 0
        return int(raw)

    fields = PolicyFields(
        transfers=data.get("transfers") == "yes",
        transfer_hours=hours("transfer_hours", "The transfer deadline"),
        cancellation=data.get("cancellation") == "yes",
        cancel_hours=hours("cancel_hours", "The cancellation deadline"),
        cancel_refunds_fee=data.get("cancel_refunds_fee") == "yes",
    )
    if problems:
        raise Invalid(*problems)
    return fields


async def save(db: AsyncSession, *, event: Event, fields: PolicyFields, actor: str) -> None:
    """Store the event's rules (audited); the caller commits."""
    row = await db.get(SelfServicePolicy, event.id)
    if row is None:
        row = SelfServicePolicy(event_id=event.id)
        db.add(row)
    row.transfers = fields.transfers
    row.transfer_hours = fields.transfer_hours
    row.cancellation = fields.cancellation
    row.cancel_hours = fields.cancel_hours
    row.cancel_refunds_fee = fields.cancel_refunds_fee
    audit.record(
        db, organizer_id=event.organizer_id, actor=actor, action="event.self_service",
        target=str(event.id), details=vars(fields),
    )  # fmt: skip


def deadline(event: Event, hours: int) -> datetime:
    return event.starts_at - timedelta(hours=hours)


async def received_by_transfer(db: AsyncSession, *, order_id: uuid.UUID) -> bool:
    found = await db.scalar(
        select(PassTransfer.id).where(PassTransfer.to_order_id == order_id).limit(1)
    )
    return found is not None


async def choices(db: AsyncSession, *, order: Order, event: Event, now: datetime) -> Choices:
    rules = await policy(db, event_id=event.id)
    received = await received_by_transfer(db, order_id=order.id)
    active = order.status in ACTIVE and event.cancelled_at is None
    transfer_until = deadline(event, rules.transfer_hours) if rules.transfers else None
    cancel_until = (
        deadline(event, rules.cancel_hours) if rules.cancellation and not received else None
    )
    pending = await db.scalar(
        select(Refund.id)
        .where(Refund.order_id == order.id, Refund.status.in_(("pending", "requires_action")))
        .limit(1)
    )
    return Choices(
        transfer_until=transfer_until,
        can_transfer=active and transfer_until is not None and now < transfer_until,
        cancel_until=cancel_until,
        can_cancel=active and pending is None and cancel_until is not None and now < cancel_until,
        received=received,
        refund_pending=pending is not None,
    )


def refuse_after(until: datetime | None, now: datetime, *, what: str, event: Event) -> None:
    """Refused unless the event allows `what` and its deadline has not passed (and it has not
    been cancelled: then every pass is void and every paid order refunded anyway)."""
    if event.cancelled_at is not None:
        raise Refused(f"{event.name} is cancelled.")
    if until is None:
        raise Refused(f"{event.name} does not allow {what}.")
    if now >= until:
        raise Refused(f"The deadline for {what} has passed.")
