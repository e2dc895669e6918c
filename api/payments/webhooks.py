"""Stripe webhooks: `/webhooks/stripe` (the platform's events) and `/webhooks/stripe-connect`
(events of connected accounts), each with its own signing secret.

Order of work for every delivery: verify the signature (400 and nothing else otherwise), then
in ONE transaction insert the event id (`ON CONFLICT DO NOTHING`, the first statement, so 50
concurrent deliveries of one event produce one effect), apply the effect, commit. An effect
that fails rolls back the event id too, and Stripe's retry runs it again. Unknown event types
are acknowledged and ignored.

Before an effect, the event's claims are checked against our records (`api.payments.crosscheck`):
a mismatch is alerted and recorded, never applied. An event about a payment intent Stripe does
not know (or that names no order of ours) is recorded and answered 200: no retry can fix it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import stripe
from litestar import Request, post
from litestar.exceptions import HTTPException
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import fulfilment
from api.db import Event, Order, Organizer
from api.payments import crosscheck, onboarding
from api.payments.crosscheck import Mismatch
from api.payments.gateway import IntentFacts, PaymentsUnavailable, StripeGateway
from api.payments.refund_records import record_from_stripe
from api.settings import Settings
from api.web.deps import DB, AppSettings
from api.web.errors import error_responses

log = logging.getLogger(__name__)

TOLERANCE_S = 300


@dataclass(frozen=True)
class Ctx:
    settings: Settings
    gateway: StripeGateway | None
    account: str | None = None
    """The event's `account` (Connect events: the connected account it comes from)."""


Handler = Callable[[AsyncSession, dict[str, Any], Ctx], Awaitable[str]]


def verify(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    if not secret:
        raise HTTPException(status_code=400, detail="This webhook endpoint is not configured.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8", "replace"), signature or "", secret, TOLERANCE_S
        )
    except stripe.SignatureVerificationError as exc:
        raise HTTPException(
            status_code=400, detail="Invalid Stripe-Signature: the event was not processed."
        ) from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail="The event body is not JSON.") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise HTTPException(status_code=400, detail="The event has no id.")
    return event


async def _first_time(session: AsyncSession, event: dict[str, Any]) -> bool:
    row = await session.execute(
        text(
            "INSERT INTO stripe_event (id, type, account, created_at) "
            "VALUES (:id, :type, :account, now()) ON CONFLICT DO NOTHING RETURNING id"
        ),
        {"id": event["id"], "type": str(event.get("type", ""))[:100],
         "account": event.get("account")},
    )  # fmt: skip
    return row.first() is not None


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def _facts(ctx: Ctx, payment_intent: str) -> IntentFacts | None:
    if ctx.gateway is None:
        return None
    try:
        return await ctx.gateway.payment_intent_facts(payment_intent)
    except PaymentsUnavailable:
        raise HTTPException(status_code=503, detail="Stripe did not answer; retry.") from None


async def _organizer_account(session: AsyncSession, order: Order) -> str | None:
    return await session.scalar(
        select(Organizer.stripe_account_id)
        .join(Event, Event.organizer_id == Organizer.id)
        .where(Event.id == order.event_id)
    )


async def _order_by_intent(
    session: AsyncSession, payment_intent: object, ctx: Ctx, metadata: object = None
) -> uuid.UUID | None:
    """The order a charge, refund or dispute is about: the one holding its payment intent.

    Metadata naming another order is a mismatch. An intent we have not stored yet (a refund
    that overtook the completion) is looked up at Stripe, and must belong to the order in every
    respect a completion would; an intent Stripe does not know is nobody's order (None).
    """
    named = _uuid(metadata.get("order_id")) if isinstance(metadata, dict) else None
    if not isinstance(payment_intent, str):
        return None
    # The order's row is locked first, for the rest of the event's transaction: Stripe sends a
    # refund as several events at once (charge.refunded, refund.created, refund.updated), and
    # each upserts the same refund row and then changes the order; taken in either order, two
    # of them deadlocked. Queued on the order, they run one after the other.
    order_id = await session.scalar(
        select(Order.id).where(Order.stripe_payment_intent_id == payment_intent).with_for_update()
    )
    if order_id is not None:
        if named is not None and named != order_id:
            raise Mismatch(["order named in metadata"], order_id=named)
        return order_id
    facts = await _facts(ctx, payment_intent)
    found = _uuid(facts.order_id) if facts is not None else None
    order = await session.get(Order, found) if found is not None else None
    if facts is None or order is None:
        return None
    wrong = crosscheck.intent_fields(
        facts, order=order, account=await _organizer_account(session, order)
    )
    if named is not None and named != order.id:
        wrong.append("order named in metadata")
    if order.stripe_payment_intent_id:  # the order was paid with another intent
        wrong.append("payment intent")
    if wrong:
        raise Mismatch(wrong, order_id=order.id)
    return order.id


def _session_order(obj: dict[str, Any]) -> uuid.UUID | None:
    metadata = obj.get("metadata") or {}
    return _uuid(metadata.get("order_id") or obj.get("client_reference_id"))


async def _completed(session: AsyncSession, obj: dict[str, Any], ctx: Ctx) -> str:
    if obj.get("payment_status") not in ("paid", "no_payment_required"):
        return "awaiting_payment"
    return await _paid(session, obj, ctx)


async def _paid(session: AsyncSession, obj: dict[str, Any], ctx: Ctx) -> str:
    order_id = _session_order(obj)
    order = await session.get(Order, order_id) if order_id else None
    if order is None:
        return "unknown_order"
    intent = obj.get("payment_intent")
    wrong = crosscheck.session_fields(order, obj)
    if not wrong and order.total_minor > 0 and intent != order.stripe_payment_intent_id:
        # First sight of this intent: Stripe, not the event, says whose it is and where it pays.
        if not isinstance(intent, str):
            wrong = ["payment intent"]
        elif ctx.gateway is not None:
            wrong = crosscheck.intent_fields(
                await _facts(ctx, intent),
                order=order,
                account=await _organizer_account(session, order),
            )
    if wrong:
        raise Mismatch(wrong, order_id=order.id)
    return await fulfilment.fulfil(
        session, order=order, settings=ctx.settings,
        payment_intent=intent if isinstance(intent, str) else None,
    )  # fmt: skip


async def _expired(session: AsyncSession, obj: dict[str, Any], ctx: Ctx) -> str:
    order_id = _session_order(obj)
    order = await session.get(Order, order_id) if order_id else None
    if order is None:
        return "unknown_order"
    if not order.stripe_checkout_session_id or obj.get("id") != order.stripe_checkout_session_id:
        raise Mismatch(["checkout session id"], order_id=order.id)
    return "released" if await fulfilment.expire(session, order_id=order.id) else "no_hold"


async def _charge_refunded(session: AsyncSession, obj: dict[str, Any], ctx: Ctx) -> str:
    order_id = await _order_by_intent(session, obj.get("payment_intent"), ctx)
    if order_id is None:
        return "unknown_order"
    # Expanded or older API versions list the charge's refunds: record them too.
    for refund in (obj.get("refunds") or {}).get("data") or []:
        if isinstance(refund, dict):
            await record_from_stripe(session, order_id=order_id, refund=refund)
    amount, refunded = int(obj.get("amount") or 0), int(obj.get("amount_refunded") or 0)
    full = bool(obj.get("refunded")) or (amount > 0 and refunded >= amount)
    return await fulfilment.refunded(
        session, order_id=order_id, amount_refunded=refunded, full=full
    )


def _named_passes(refund: dict[str, Any]) -> list[str]:
    raw = (refund.get("metadata") or {}).get("passes") or ""
    return [part.strip() for part in str(raw).split(",") if part.strip()]


async def _refund_changed(session: AsyncSession, obj: dict[str, Any], ctx: Ctx) -> str:
    order_id = await _order_by_intent(session, obj.get("payment_intent"), ctx, obj.get("metadata"))
    if order_id is None:
        return "unknown_order"
    await record_from_stripe(session, order_id=order_id, refund=obj)
    if obj.get("status") in ("failed", "canceled"):
        log.warning("refund %s failed for order %s", obj.get("id"), order_id)
        return "refund_failed"
    named = _named_passes(obj)
    if not named:
        return "recorded"
    return await fulfilment.refunded(
        session, order_id=order_id, amount_refunded=0, full=False, pass_ids=named
    )


async def _dispute_created(session: AsyncSession, obj: dict[str, Any], ctx: Ctx) -> str:
    order_id = await _order_by_intent(session, obj.get("payment_intent"), ctx)
    if order_id is None:
        return "unknown_order"
    await fulfilment.dispute_opened(session, order_id=order_id)
    return "disputed"


async def _dispute_closed(session: AsyncSession, obj: dict[str, Any], ctx: Ctx) -> str:
    order_id = await _order_by_intent(session, obj.get("payment_intent"), ctx)
    if order_id is None:
        return "unknown_order"
    won = obj.get("status") != "lost"
    await fulfilment.dispute_closed(session, order_id=order_id, won=won)
    return "dispute_won" if won else "dispute_lost"


async def _account_updated(session: AsyncSession, obj: dict[str, Any], ctx: Ctx) -> str:
    if not ctx.account or obj.get("id") != ctx.account:
        # An account's event describing another account: believe neither.
        raise Mismatch(["account"])
    known = await onboarding.account_updated(
        session, ctx.gateway, account=ctx.account,
        charges_enabled=bool(obj.get("charges_enabled")),
    )  # fmt: skip
    return "updated" if known else "unknown_account"


PLATFORM: dict[str, Handler] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _paid,
    "checkout.session.async_payment_failed": _expired,
    "checkout.session.expired": _expired,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund_changed,
    "refund.updated": _refund_changed,
    "refund.failed": _refund_changed,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
}
CONNECT: dict[str, Handler] = {"account.updated": _account_updated}


async def _handle(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    settings: Settings,
    secret: str,
    handlers: dict[str, Handler],
) -> dict[str, str]:
    payload = await request.body()
    event = verify(payload, request.headers.get("stripe-signature"), secret)
    handler = handlers.get(str(event.get("type")))
    if not await _first_time(db, event):
        await db.rollback()
        return {"status": "duplicate"}
    if handler is None:
        await db.commit()
        return {"status": "ignored"}
    obj = (event.get("data") or {}).get("object") or {}
    account = event.get("account")
    ctx = Ctx(settings, request.app.state.gateway, account if isinstance(account, str) else None)
    try:
        outcome = await handler(db, obj, ctx)
    except Mismatch as mismatch:
        # Undo anything the handler touched, but keep the event id: Stripe stops retrying.
        await db.rollback()
        await _first_time(db, event)
        crosscheck.alert(event, mismatch)
        outcome = "mismatch"
    await db.commit()
    log.info("stripe event %s %s: %s", event["id"], event.get("type"), outcome)
    return {"status": outcome}


@post(
    "/webhooks/stripe",
    status_code=200,
    tags=["webhooks"],
    summary="Stripe platform events",
    responses=error_responses(400, 503),
)
async def stripe_webhook(
    request: Request[Any, Any, Any], db: DB, settings: AppSettings
) -> dict[str, str]:
    return await _handle(request, db, settings, settings.stripe_webhook_secret, PLATFORM)


@post(
    "/webhooks/stripe-connect",
    status_code=200,
    tags=["webhooks"],
    summary="Stripe Connect events (connected accounts)",
    responses=error_responses(400, 503),
)
async def stripe_connect_webhook(
    request: Request[Any, Any, Any], db: DB, settings: AppSettings
) -> dict[str, str]:
    return await _handle(request, db, settings, settings.stripe_connect_webhook_secret, CONNECT)
