"""Refunds and disputes on a payment's charge, with the events Stripe sends for each step.

A refund, whether the app asks through the API or someone clicks "Refund" in the Stripe
dashboard, raises the charge's `amount_refunded` at once and emits `charge.refunded` then
`refund.created`. Card refunds succeed immediately unless `status="pending"` is asked for; a
pending refund later succeeds (`refund.updated`) or fails (`refund.updated` then `refund.failed`,
and the money counts as unrefunded again). Stripe's limits apply: the amount must be positive and
no more than what is left, a charged-back charge cannot be refunded, and `reverse_transfer`
needs a destination charge.

A dispute (`charge.dispute.created`) marks the charge `disputed`; closing it won or lost emits
`charge.dispute.closed`.
"""

from __future__ import annotations

from typing import Any

from tests.stripe_standin import objects
from tests.stripe_standin.store import Store
from tests.stripe_standin.wire import StripeError, missing

REFUND_FAILURE_REASON = "expired_or_canceled_card"


def charge_for(store: Store, object_id: str, *, param: str = "charge") -> dict[str, Any]:
    """The charge behind a charge, payment intent or Checkout Session id."""
    obj = store.objects.get(object_id)
    if obj is not None and obj["object"] == "checkout.session":
        obj = store.objects.get(obj["payment_intent"] or "")
    if obj is not None and obj["object"] == "payment_intent":
        obj = store.objects.get(obj["latest_charge"] or "")
    if obj is None or obj["object"] != "charge":
        raise missing("charge", object_id, param=param, status=400)
    return obj


def create_refund(
    store: Store,
    params: dict[str, Any],
    *,
    status: str = "succeeded",
    request: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Refund a charge or payment intent (all that is left unless `amount` is given)."""
    with store.lock:
        charge = _refundable_charge(store, params)
        left = charge["amount_captured"] - charge["amount_refunded"]
        if left <= 0:
            raise StripeError(
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = params.get("amount", left)
        if amount <= 0:
            raise StripeError("Refund amount must be greater than zero.", param="amount")
        if amount > left:
            raise StripeError(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                param="amount",
                code="amount_too_large",
            )
        if params.get("reverse_transfer") and not charge["transfer_data"]:
            raise StripeError(
                "The charge has no transfer to reverse: `reverse_transfer` is only for "
                "destination charges.",
                param="reverse_transfer",
            )
        if params.get("refund_application_fee") and not charge["application_fee_amount"]:
            raise StripeError(
                "The charge has no application fee to refund.", param="refund_application_fee"
            )
        refund = objects.refund(
            charge,
            amount=amount,
            now=store.now(),
            status=status,
            metadata=params.get("metadata") or {},
            reason=params.get("reason"),
            reverse_transfer=params.get("reverse_transfer"),
        )
        store.add(refund)
        _count_refunds(store, charge)
        store.emit("charge.refunded", charge, request=request)
        store.emit("refund.created", refund, request=request)
        return refund


def _refundable_charge(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    if "charge" in params and "payment_intent" in params:
        raise StripeError(
            "You can only specify one of these parameters: charge, payment_intent.",
            param="payment_intent",
        )
    if "payment_intent" in params:
        intent = store.objects.get(params["payment_intent"])
        if intent is None or intent["object"] != "payment_intent":
            raise missing(
                "payment_intent", params["payment_intent"], param="payment_intent", status=400
            )
        charge = store.objects.get(intent["latest_charge"] or "")
        if charge is None or charge["status"] != "succeeded":
            raise StripeError(
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
    elif "charge" in params:
        charge = store.get(params["charge"], "charge", param="charge", status=400)
    else:
        raise StripeError(
            "One of the following params should be provided for this request: payment_intent "
            "or charge."
        )
    disputes = [d for d in store.of_kind("dispute") if d["charge"] == charge["id"]]
    if any(dispute["status"] != "won" for dispute in disputes):
        raise StripeError(
            f"Charge {charge['id']} has been charged back; cannot issue a refund.",
            code="charge_disputed",
        )
    return charge


def _count_refunds(store: Store, charge: dict[str, Any]) -> None:
    refunded = sum(
        refund["amount"]
        for refund in store.refunds_of(charge["id"])
        if refund["status"] in ("succeeded", "pending")
    )
    charge["amount_refunded"] = refunded
    charge["refunded"] = refunded >= charge["amount_captured"]


def finish_refund(store: Store, refund_id: str, *, succeeded: bool) -> dict[str, Any]:
    """A refund's final outcome: `succeeded`, or `failed` (money not returned)."""
    with store.lock:
        refund = store.get(refund_id, "refund")
        if refund["status"] not in ("pending", "succeeded"):
            raise StripeError(f"Refund {refund_id} is already {refund['status']}.")
        if succeeded and refund["status"] != "pending":
            raise StripeError(f"Refund {refund_id} is not pending.")
        previous: dict[str, Any] = {"status": refund["status"]}
        if succeeded:
            refund["status"] = "succeeded"
            store.emit("refund.updated", refund, previous=previous)
            return refund
        previous["failure_reason"] = None
        refund.update(status="failed", failure_reason=REFUND_FAILURE_REASON)
        _count_refunds(store, store.objects[refund["charge"]])
        store.emit("refund.updated", refund, previous=previous)
        store.emit("refund.failed", refund)
        return refund


def open_dispute(
    store: Store, object_id: str, *, amount: int | None = None, reason: str = "fraudulent"
) -> dict[str, Any]:
    with store.lock:
        charge = charge_for(store, object_id)
        if charge["status"] != "succeeded":
            raise StripeError(f"Charge {charge['id']} was not paid; it cannot be disputed.")
        dispute = objects.dispute(
            charge, amount=amount or charge["amount"], reason=reason, now=store.now()
        )
        store.add(dispute)
        charge["disputed"] = True
        store.emit("charge.dispute.created", dispute)
        return dispute


def close_dispute(store: Store, dispute_id: str, *, won: bool) -> dict[str, Any]:
    with store.lock:
        dispute = store.get(dispute_id, "dispute")
        if dispute["status"] in ("won", "lost"):
            raise StripeError(f"Dispute {dispute_id} is already closed ({dispute['status']}).")
        dispute["status"] = "won" if won else "lost"
        store.emit("charge.dispute.closed", dispute)
        return dispute
