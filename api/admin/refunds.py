"""Starting a refund from POCtix (the operator API and the dashboard's button share this).

Only Stripe is asked here, with `reverse_transfer` and an idempotency key derived from what is
refunded; the passes are voided by the webhook, exactly as for a refund started anywhere else.
Free orders never touched Stripe and are voided directly. Either way a `Refund` row records
who started it (the webhooks keep it current; see `api.payments.refund_records`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import fulfilment
from api.db import AuditEntry, Order, OrderStatus, PassStatus
from api.passes.tokens import pass_key_text
from api.payments.gateway import PaymentsUnavailable, StripeGateway
from api.payments.refund_records import record_refund


class RefundRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RefundStarted:
    status: str
    """`requested` (Stripe confirms by webhook) or `cancelled` (a free order, voided now)."""
    refund_id: str | None
    detail: str


async def request_refund(
    db: AsyncSession,
    gateway: StripeGateway | None,
    *,
    order: Order,
    amount: int | None,
    passes: list[str],
    reason: str,
    actor: str,
) -> RefundStarted:
    items = await fulfilment.order_pass_list(db, order)
    known = {pass_key_text(p.pass_key): p for p in items}
    unknown = [p for p in passes if p not in known]
    if unknown:
        raise RefundRefused(409, f"Not passes of this order: {unknown}.")
    void = [p for p in passes if known[p].status != PassStatus.valid]
    if void:
        raise RefundRefused(409, f"Already void, not refunded again: {', '.join(void)}.")
    db.add(
        AuditEntry(
            organizer_id=None,
            actor=actor,
            action="refund.requested",
            target=str(order.id),
            details={"amount": amount, "passes": passes, "reason": reason},
        )
    )
    if order.total_minor == 0:
        chosen = [known[p] for p in passes] or [p for p in items if p.status == PassStatus.valid]
        if chosen:
            await record_refund(
                db, order_id=order.id, stripe_refund_id=None, amount_minor=0,
                currency=order.currency, status="succeeded", reason=reason,
                pass_ids=[pass_key_text(p.pass_key) for p in chosen], initiated_by=actor,
            )  # fmt: skip
        await fulfilment.void_free(db, order_id=order.id, items=chosen)
        await db.commit()
        return RefundStarted(status="cancelled", refund_id=None, detail="Free passes voided.")
    if order.status not in (OrderStatus.paid, OrderStatus.partially_refunded):
        raise RefundRefused(409, f"An order that is {order.status} cannot be refunded.")
    if gateway is None or not order.stripe_payment_intent_id:
        raise RefundRefused(409, "This order has no Stripe payment.")
    if amount is None and passes:
        prices = await fulfilment.unit_prices(db, order)
        amount = sum(prices[known[p].tier_id] for p in passes)
    remaining = order.total_minor - order.refunded_minor
    if amount is not None and amount > remaining:
        raise RefundRefused(409, f"At most {remaining} can still be refunded.")
    fingerprint = hashlib.sha256(
        f"{amount}|{','.join(sorted(passes))}|{order.refunded_minor}".encode()
    ).hexdigest()[:16]
    metadata = {"order_id": str(order.id)}
    if passes:
        metadata["passes"] = ",".join(passes)
    intent, order_id, currency = order.stripe_payment_intent_id, order.id, order.currency
    await db.commit()
    try:
        refund_id = await gateway.refund(
            payment_intent=intent,
            amount=amount,
            metadata=metadata,
            idempotency_key=f"refund-{order_id}-{fingerprint}",
        )
    except PaymentsUnavailable as exc:
        raise RefundRefused(502, f"Stripe refused: {exc}") from exc
    # The webhook may have recorded this refund already: the upsert adds who and why.
    await record_refund(
        db, order_id=order_id, stripe_refund_id=refund_id,
        amount_minor=remaining if amount is None else amount, currency=currency,
        status="pending", reason=reason, pass_ids=passes, initiated_by=actor,
    )  # fmt: skip
    await db.commit()
    return RefundStarted(
        status="requested",
        refund_id=refund_id,
        detail="Stripe accepted the refund; the passes are voided when it confirms.",
    )
