"""Operator and organizer money actions: refunds through Stripe, Stripe onboarding.

A refund started here only asks Stripe (with `reverse_transfer` and an idempotency key); the
passes are voided by the `charge.refunded`/`refund.*` webhooks, exactly as for a refund started
in the Stripe dashboard, the CLI or by a chargeback. Free orders never touched Stripe: they
are cancelled here directly.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from api import audit
from api.admin.access import Who, money_handlers
from api.admin.auth import OPERATOR_SECURITY, operator_guard
from api.admin.deps import ThisOrganizer
from api.payments.refunds import organizer_of, request_refund
from api.checkin.wire import PASS_ID_PATTERN, PassId
from api.db import Order, Organizer
from api.errors import NotFound, Refused, Unavailable
from api.mail.outbox import NothingToSend, queue_resend
from api.payments.gateway import PaymentsUnavailable, StripeGateway
from api.web.deps import DB, AppSettings, Gateway
from api.web.errors import error_responses


class RefundRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Minor units; default: the whole remaining amount, or the named passes' prices."""
    passes: Annotated[
        list[PassId],
        # Restated for OpenAPI, which drops the constraints of a list's items.
        msgspec.Meta(
            max_length=100,
            extra_json_schema={"extra": {"items": {"type": "string", "pattern": PASS_ID_PATTERN}}},
        ),
    ] = []
    """Pass ids (18 characters) to void with a partial refund."""
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


# Litestar's OpenAPI does not carry `forbid_unknown_fields` over: say it, so clients (and the
# fuzzer) know a misspelt field is refused rather than ignored.
RefundBody = Annotated[RefundRequest, Body(schema_extra={"additionalProperties": False})]


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
    security = OPERATOR_SECURITY

    @post(
        "/orders/{public_id:str}/refund",
        status_code=202,
        summary="Refund an order",
        responses=error_responses(400, 401, 403, 404, 409, 415, 429, 502),
    )
    async def refund(
        self,
        db: DB,
        gateway: Gateway,
        public_id: FromPath[str],
        data: RefundBody,
    ) -> RefundAccepted:
        order = await db.scalar(select(Order).where(Order.public_id == public_id))
        if order is None:
            raise NotFoundException(detail="No such order.")
        started = await request_refund(
            db, gateway, order=order, amount=data.amount, passes=data.passes,
            reason=data.reason, actor="operator",
        )  # fmt: skip
        return RefundAccepted(
            status=started.status, refund_id=started.refund_id, detail=started.detail
        )

    @post(
        "/orders/{public_id:str}/resend",
        status_code=202,
        summary="Email the tickets again",
        responses=error_responses(401, 403, 404, 409, 415, 429),
    )
    async def resend(self, db: DB, public_id: FromPath[str]) -> Queued:
        order = await db.scalar(select(Order).where(Order.public_id == public_id))
        if order is None:
            raise NotFoundException(detail="No such order.")
        try:
            await queue_resend(db, order_id=order.id)
        except NothingToSend as exc:
            raise Refused(f"Nothing to resend: {exc}.") from exc
        audit.record(db, organizer_id=await organizer_of(db, order), actor="operator",
                     action="tickets.resent", target=str(order.id))  # fmt: skip
        await db.commit()
        return Queued(detail=f"The tickets go to {order.buyer_email} again.")

    @post(
        "/organizers/{organizer_id:uuid}/stripe/onboarding",
        status_code=201,
        summary="Create (or continue) the organizer's Stripe onboarding",
        responses=error_responses(401, 403, 404, 409, 415, 429, 502),
    )
    async def onboarding(
        self, db: DB, settings: AppSettings, gateway: Gateway, organizer_id: FromPath[uuid.UUID]
    ) -> OnboardingLink:
        return OnboardingLink(url=await _onboarding_url(db, settings, gateway, organizer_id))


async def _onboarding_url(
    db: DB,
    settings: AppSettings,
    gateway: StripeGateway | None,
    organizer_id: uuid.UUID,
    *,
    actor: str = "operator",
) -> str:
    organizer = await db.get(Organizer, organizer_id)
    if organizer is None:
        raise NotFound("No such organizer.")
    if gateway is None:
        raise Refused("Stripe is not configured on this site.")
    base = settings.base_url.rstrip("/")
    try:
        if not organizer.stripe_account_id:
            organizer.stripe_account_id = await gateway.create_account(
                email=organizer.contact_email, organizer_id=str(organizer.id)
            )
            audit.record(
                db, organizer_id=organizer.id, actor=actor, action="stripe.account_created",
                target=organizer.stripe_account_id,
            )  # fmt: skip
            await db.commit()
        return await gateway.onboarding_link(
            account=organizer.stripe_account_id,
            refresh_url=f"{base}/stripe/refresh?organizer={organizer.id}",
            return_url=f"{base}/stripe/return?organizer={organizer.id}",
        )
    except PaymentsUnavailable as exc:
        raise Unavailable(f"Stripe refused: {exc}") from exc


class OnboardingReturn(Controller):
    """Where Stripe sends the organizer's browser back after (or instead of) onboarding.

    The person coming back is an owner or manager signed in to the dashboard (or the operator):
    the charges status is read from Stripe at once (`account.updated` keeps it current later)
    and they land on the organizer's members page, which says where onboarding stands. That GET
    only copies Stripe's own answer; nothing the visitor chooses changes on a GET here.
    """

    path = "/"
    guards = [money_handlers]

    @get("/return")
    async def returned(self, db: DB, gateway: Gateway, organizer: ThisOrganizer) -> Redirect:
        found = organizer
        if not found.stripe_account_id or gateway is None:
            raise NotFound("No onboarding in progress for this organizer.")
        try:
            found.charges_enabled = await gateway.account_charges_enabled(found.stripe_account_id)
        except PaymentsUnavailable as exc:
            raise Unavailable(f"Stripe refused: {exc}") from exc
        await db.commit()
        state = "ready" if found.charges_enabled else "pending"
        return Redirect(
            path=f"/admin/organizers/{found.id}/members?stripe={state}", status_code=303
        )

    @get("/refresh")
    async def refresh_page(self, organizer: ThisOrganizer) -> Template:
        """Stripe sends the browser here when an Account Link expired or was already used.

        Making a new link may create the Connect account, so this GET only shows a button: a
        link or image on another site that opens this URL in a signed-in browser changes nothing.
        """
        return Template(
            template_name="admin/stripe_refresh.html",
            context={"organizer": organizer},
            headers={"Cache-Control": "no-store"},
        )

    @post("/refresh", status_code=303)
    async def refresh(
        self,
        db: DB,
        who: Who,
        settings: AppSettings,
        gateway: Gateway,
        organizer: ThisOrganizer,
    ) -> Redirect:
        """The button of the page above (CSRF-checked like every form): a new Account Link."""
        url = await _onboarding_url(db, settings, gateway, organizer.id, actor=who.who)
        return Redirect(path=url, status_code=303)
