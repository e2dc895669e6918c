"""Operator and organizer money actions: refunds through Stripe, Stripe onboarding.

A refund started here only asks Stripe (with `reverse_transfer` and an idempotency key); the
passes are voided by the `charge.refunded`/`refund.*` webhooks, exactly as for a refund started
in the Stripe dashboard, the CLI or by a chargeback. Free orders never touched Stripe: they
are cancelled here directly.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect
from sqlalchemy import select

from api.admin.auth import operator_guard
from api.checkout import fulfilment
from api.db import AuditEntry, Order, OrderStatus, Organizer, PassStatus
from api.mail.outbox import NothingToSend, queue_resend
from api.passes.tokens import pass_key_text
from api.payments.gateway import PaymentsUnavailable, StripeGateway
from api.web.deps import DB, AppSettings, Gateway


class RefundRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Minor units; default: the whole remaining amount, or the named passes' prices."""
    passes: Annotated[list[str], msgspec.Meta(max_length=100)] = []
    """Pass ids (18 characters) to void with a partial refund."""
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class RefundAccepted(msgspec.Struct):
    status: str
    """`requested` (Stripe will confirm by webhook) or `cancelled` (a free order)."""
    refund_id: str | None
    detail: str


class Queued(msgspec.Struct):
    detail: str
    status: str = "queued"


class OnboardingLink(msgspec.Struct):
    url: str


class MoneyController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    guards = [operator_guard]

    @post("/orders/{public_id:str}/refund", status_code=202, summary="Refund an order")
    async def refund(
        self,
        db: DB,
        gateway: Gateway,
        public_id: FromPath[str],
        data: JSONBody[RefundRequest],
    ) -> RefundAccepted:
        order = await db.scalar(select(Order).where(Order.public_id == public_id))
        if order is None:
            raise NotFoundException(detail="No such order.")
        items = await fulfilment.order_pass_list(db, order)
        known = {pass_key_text(p.pass_key): p for p in items}
        unknown = [p for p in data.passes if p not in known]
        if unknown:
            raise HTTPException(status_code=400, detail=f"Not passes of this order: {unknown}.")
        db.add(
            AuditEntry(
                actor="operator",
                action="refund.requested",
                target=str(order.id),
                details={"amount": data.amount, "passes": data.passes, "reason": data.reason},
            )
        )
        if order.total_minor == 0:
            chosen = [known[p] for p in data.passes] or [
                p for p in items if p.status == PassStatus.valid
            ]
            await fulfilment.void_free(db, order_id=order.id, items=chosen)
            await db.commit()
            return RefundAccepted(status="cancelled", refund_id=None, detail="Free passes voided.")
        if order.status not in (OrderStatus.paid, OrderStatus.partially_refunded):
            raise HTTPException(
                status_code=409, detail=f"An order that is {order.status} cannot be refunded."
            )
        if gateway is None or not order.stripe_payment_intent_id:
            raise HTTPException(status_code=409, detail="This order has no Stripe payment.")
        amount = data.amount
        if amount is None and data.passes:
            prices = await fulfilment.unit_prices(db, order)
            amount = sum(prices[known[p].tier_id] for p in data.passes)
        remaining = order.total_minor - order.refunded_minor
        if amount is not None and amount > remaining:
            raise HTTPException(
                status_code=400, detail=f"At most {remaining} can still be refunded."
            )
        fingerprint = hashlib.sha256(
            f"{amount}|{','.join(sorted(data.passes))}|{order.refunded_minor}".encode()
        ).hexdigest()[:16]
        metadata = {"order_id": str(order.id)}
        if data.passes:
            metadata["passes"] = ",".join(data.passes)
        await db.commit()
        try:
            refund_id = await gateway.refund(
                payment_intent=order.stripe_payment_intent_id,
                amount=amount,
                metadata=metadata,
                idempotency_key=f"refund-{order.id}-{fingerprint}",
            )
        except PaymentsUnavailable as exc:
            raise HTTPException(status_code=502, detail=f"Stripe refused: {exc}") from exc
        return RefundAccepted(
            status="requested",
            refund_id=refund_id,
            detail="Stripe accepted the refund; the passes are voided when it confirms.",
        )

    @post("/orders/{public_id:str}/resend", status_code=202, summary="Email the tickets again")
    async def resend(self, db: DB, public_id: FromPath[str]) -> Queued:
        order = await db.scalar(select(Order).where(Order.public_id == public_id))
        if order is None:
            raise NotFoundException(detail="No such order.")
        try:
            await queue_resend(db, order_id=order.id)
        except NothingToSend as exc:
            raise HTTPException(status_code=409, detail=f"Nothing to resend: {exc}.") from exc
        db.add(AuditEntry(actor="operator", action="tickets.resent", target=str(order.id)))
        await db.commit()
        return Queued(detail=f"The tickets go to {order.buyer_email} again.")

    @post(
        "/organizers/{organizer_id:uuid}/stripe/onboarding",
        status_code=201,
        summary="Create (or continue) the organizer's Stripe onboarding",
    )
    async def onboarding(
        self, db: DB, settings: AppSettings, gateway: Gateway, organizer_id: FromPath[uuid.UUID]
    ) -> OnboardingLink:
        return OnboardingLink(url=await _onboarding_url(db, settings, gateway, organizer_id))


async def _onboarding_url(
    db: DB, settings: AppSettings, gateway: StripeGateway | None, organizer_id: uuid.UUID
) -> str:
    organizer = await db.get(Organizer, organizer_id)
    if organizer is None:
        raise NotFoundException(detail="No such organizer.")
    if gateway is None:
        raise HTTPException(status_code=409, detail="Stripe is not configured on this site.")
    base = settings.base_url.rstrip("/")
    try:
        if not organizer.stripe_account_id:
            organizer.stripe_account_id = await gateway.create_account(
                email=organizer.contact_email, organizer_id=str(organizer.id)
            )
            db.add(
                AuditEntry(
                    organizer_id=organizer.id,
                    actor="operator",
                    action="stripe.account_created",
                    target=organizer.stripe_account_id,
                )
            )
            await db.commit()
        return await gateway.onboarding_link(
            account=organizer.stripe_account_id,
            refresh_url=f"{base}/stripe/refresh?organizer={organizer.id}",
            return_url=f"{base}/stripe/return?organizer={organizer.id}",
        )
    except PaymentsUnavailable as exc:
        raise HTTPException(status_code=502, detail=f"Stripe refused: {exc}") from exc


class OnboardingReturn(Controller):
    """Where Stripe sends the organizer's browser back after (or instead of) onboarding."""

    include_in_schema = False
    guards = [operator_guard]

    @get("/stripe/return")
    async def returned(
        self, db: DB, gateway: Gateway, organizer: FromQuery[uuid.UUID]
    ) -> dict[str, object]:
        found = await db.get(Organizer, organizer)
        if found is None or not found.stripe_account_id or gateway is None:
            raise NotFoundException(detail="No onboarding in progress for this organizer.")
        try:
            found.charges_enabled = await gateway.account_charges_enabled(found.stripe_account_id)
        except PaymentsUnavailable as exc:
            raise HTTPException(status_code=502, detail=f"Stripe refused: {exc}") from exc
        await db.commit()
        return {"organizer": str(found.id), "charges_enabled": found.charges_enabled}

    @get("/stripe/refresh", status_code=303)
    async def refresh(
        self, db: DB, settings: AppSettings, gateway: Gateway, organizer: FromQuery[uuid.UUID]
    ) -> Redirect:
        url = await _onboarding_url(db, settings, gateway, organizer)
        return Redirect(path=url, status_code=303)
