"""Starting a refund from POCtix (the operator API and the dashboard's button share this).

Only Stripe is asked here, with `reverse_transfer` and an idempotency key derived from what is
refunded; the passes are voided by the webhook, exactly as for a refund started anywhere else.
Whatever has nothing to give back is voided directly, never sent to Stripe (which refuses a
refund of 0): free orders, free passes in a paid order, what is left once all the money went
back. Either way a `Refund` row records who started it (the webhooks keep it current; see
`api.payments.refund_records`).

`void_passes` voids passes without any refund, with a reason: for money settled some other way
(a partial refund made in the Stripe dashboard that named no passes, a ticket swapped at the
box office). It is audited, and the door sees the passes as void.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.checkout import fulfilment
from api.db import Event, Order, OrderStatus, Pass, PassStatus
from api.errors import Invalid, Refused, Unavailable
from api.passes.tokens import pass_key_text
from api.payments.gateway import PaymentsUnavailable, StripeGateway
from api.payments.refund_records import record_refund

VOIDED = "voided"
"""The void reason (and door reason code) of a pass voided without a refund."""


@dataclass(frozen=True)
class RefundStarted:
    status: str
    """`requested` (Stripe confirms by webhook) or `cancelled` (a free order, voided now)."""
    refund_id: str | None
    detail: str


async def _named(db: AsyncSession, order: Order, passes: list[str]) -> dict[str, Pass]:
    """Every pass of the order by its public id, once the named ones are checked: the order's,
    and still valid."""
    items = await fulfilment.order_pass_list(db, order)
    known = {pass_key_text(p.pass_key): p for p in items}
    unknown = [p for p in passes if p not in known]
    if unknown:
        raise Refused(f"Not passes of this order: {unknown}.")
    void = [p for p in passes if known[p].status != PassStatus.valid]
    if void:
        raise Refused(f"Already void, not voided again: {', '.join(void)}.")
    return known


async def organizer_of(db: AsyncSession, order: Order) -> uuid.UUID:
    """The organizer whose audit log an action on `order` belongs in."""
    found = await db.execute(select(Event.organizer_id).where(Event.id == order.event_id))
    return found.scalar_one()


async def request_refund(
    db: AsyncSession,
    gateway: StripeGateway | None,
    *,
    order: Order,
    amount: int | None,
    passes: list[str],
    reason: str,
    actor: str,
    commit: bool = True,
    refund_application_fee: bool = False,
) -> RefundStarted:
    """Ask Stripe to refund `amount` (None: what is left, or the named passes' prices).

    `commit=False` (an outbox job, api/events/cancellation.py) leaves every commit to the
    caller's transaction, which keeps its job row locked meanwhile; the idempotency key still
    makes a second call after a crash return the same refund. `refund_application_fee`: the
    platform fee goes back to the organizer too (a buyer's cancellation, as the event says)."""
    known = await _named(db, order, passes)
    audit.record(
        db, organizer_id=await organizer_of(db, order), actor=actor, action="refund.requested",
        target=str(order.id), details={"amount": amount, "passes": passes, "reason": reason},
    )  # fmt: skip
    if order.total_minor == 0:
        return await _void_unpaid(db, order, known, passes, reason=reason, actor=actor)
    if order.status not in (OrderStatus.paid, OrderStatus.partially_refunded):
        raise Refused(f"An order that is {order.status} cannot be refunded.")
    if amount is None and passes:
        prices = await fulfilment.unit_prices(db, order)
        amount = sum(prices[known[p].tier_id] for p in passes)
    remaining = order.total_minor - order.refunded_minor
    if amount == 0 or (amount is None and remaining == 0):
        # Free passes of a paid order, or what is left once all the money went back.
        return await _void_unpaid(db, order, known, passes, reason=reason, actor=actor)
    if gateway is None or not order.stripe_payment_intent_id:
        raise Refused("This order has no Stripe payment.")
    if amount is not None and amount > remaining:
        raise Refused(f"At most {remaining} can still be refunded.")
    fingerprint = hashlib.sha256(
        f"{amount}|{','.join(sorted(passes))}|{order.refunded_minor}".encode()
    ).hexdigest()[:16]
    metadata = {"order_id": str(order.id)}
    if passes:
        metadata["passes"] = ",".join(passes)
    intent, order_id, currency = order.stripe_payment_intent_id, order.id, order.currency
    await (db.commit() if commit else db.flush())
    try:
        refund_id = await gateway.refund(
            payment_intent=intent,
            amount=amount,
            metadata=metadata,
            idempotency_key=f"refund-{order_id}-{fingerprint}",
            refund_application_fee=refund_application_fee,
        )
    except PaymentsUnavailable as exc:
        raise Unavailable(f"Stripe refused: {exc}") from exc
    # The webhook may have recorded this refund already: the upsert adds who and why.
    await record_refund(
        db, order_id=order_id, stripe_refund_id=refund_id,
        amount_minor=remaining if amount is None else amount, currency=currency,
        status="pending", reason=reason, pass_ids=passes, initiated_by=actor,
    )  # fmt: skip
    await (db.commit() if commit else db.flush())
    return RefundStarted(
        status="requested",
        refund_id=refund_id,
        detail="Stripe accepted the refund; the passes are voided when it confirms.",
    )


async def _void_unpaid(
    db: AsyncSession,
    order: Order,
    known: dict[str, Pass],
    passes: list[str],
    *,
    reason: str,
    actor: str,
) -> RefundStarted:
    """A "refund" of nothing: the passes are voided now, no Stripe call (the free-order path)."""
    valid = [p for p in known.values() if p.status == PassStatus.valid]
    chosen = [known[p] for p in passes] or valid
    if chosen:
        await record_refund(
            db, order_id=order.id, stripe_refund_id=None, amount_minor=0,
            currency=order.currency, status="succeeded", reason=reason,
            pass_ids=[pass_key_text(p.pass_key) for p in chosen], initiated_by=actor,
        )  # fmt: skip
    await fulfilment.void_free(db, order_id=order.id, items=chosen)
    await db.commit()
    return RefundStarted(status="cancelled", refund_id=None, detail="Free passes voided.")


async def void_passes(
    db: AsyncSession, *, order: Order, organizer_id: uuid.UUID, passes: list[str], reason: str,
    actor: str,
) -> str:  # fmt: skip
    """Void passes without refunding anything; returns what to tell the organizer."""
    reason = reason.strip()
    if not passes:
        raise Invalid("Tick the passes to void.")
    if not reason:
        raise Invalid("Say why these passes are voided without a refund.")
    known = await _named(db, order, passes)
    audit.record(
        db, organizer_id=organizer_id, actor=actor, action="passes.voided",
        target=str(order.id), details={"passes": passes, "reason": reason},
    )  # fmt: skip
    await fulfilment.void_free(
        db, order_id=order.id, items=[known[p] for p in passes], reason=VOIDED
    )
    await db.commit()
    count = f"{len(passes)} pass{'es' if len(passes) != 1 else ''}"
    return f"Voided without a refund: {count}. The door sees them as void at its next sync."
