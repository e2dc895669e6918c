"""Buyer pages: the checkout POST behind the event page, and `/passes/{order}`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from api.checkout import abandon, codes, fulfilment, self_service, services
from api.checkout.details_step import DetailsStep, ask_details
from api.db import Event, Order, OrderStatus, utcnow
from api.events.cache import EventCache, Snapshot
from api.events.pages import RenderedPages, event_context
from api.passes import services as passes
from api.passes.qr import qr_svg
from api.payments.gateway import PaymentsUnavailable, StripeGateway
from api.web import ratelimit
from api.web.deps import DB, AppSettings, Gateway
from api.web.security import PRIVATE_HEADERS

log = logging.getLogger(__name__)
_UNSOLD = {OrderStatus.pending, OrderStatus.expired, OrderStatus.cancelled}


class CheckoutPages(Controller):
    include_in_schema = False

    @post("/e/{slug:str}/checkout", status_code=303, guards=[ratelimit.CHECKOUT])
    async def checkout(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        settings: AppSettings,
        gateway: Gateway,
        slug: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        # The event and its tiers come from the page's snapshot (at most seconds old): what is
        # read here is names, prices and sales windows; capacity is decided by the conditional
        # UPDATE inside start_checkout, on the live row.
        cache: EventCache = request.app.state.event_cache
        snapshot = await cache.snapshot(slug=slug)
        if snapshot is None:
            raise NotFoundException(detail="There is no published event at this address.")

        def event_page(message: str, applied: codes.Applied | None) -> Response[Any]:
            if applied is None:  # the page kept for refusals, filled in (RenderedPages.refused)
                rendered: RenderedPages = request.app.state.rendered_pages
                page = rendered.refused(request, snapshot, settings, message, data)
                return Response(page, media_type=MediaType.HTML, status_code=422)
            # The form again with the code it was sent with (its prices, its hidden tiers).
            return Template(
                template_name="event.html",
                context=event_context(snapshot, settings, error=message, form=data, code=applied),
                status_code=422,
            )

        return await checkout_from_form(
            request, db, settings, gateway, snapshot=snapshot, data=data,
            source_site=data.get("via"), refused_page=event_page,
        )  # fmt: skip

    @get("/passes/{public_id:str}/cancel", status_code=303)
    async def cancel_checkout(
        self,
        db: DB,
        settings: AppSettings,
        gateway: Gateway,
        public_id: FromPath[str],
    ) -> Redirect:
        """Stripe's `cancel_url`: the buyer left Checkout, so the seats go back on sale now
        (api/checkout/abandon.py). A GET, because that is how Stripe sends the buyer back; it
        ends only this order's unpaid hold, named by its unguessable id, and is idempotent."""
        order = await _order(db, public_id)
        slug, status = order.event.slug, order.status
        outcome = await abandon.abandon_checkout(
            db, order=order, settings=settings, gateway=gateway
        )
        if outcome is abandon.Abandoned.paid or status not in _UNSOLD:
            return Redirect(path=f"/passes/{public_id}", status_code=303)
        return Redirect(path=f"/e/{slug}", status_code=303)

    @get("/passes/{public_id:str}")
    async def passes_page(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        settings: AppSettings,
        gateway: Gateway,
        public_id: FromPath[str],
        session_id: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        order = await _order(db, public_id)
        if order.status == OrderStatus.pending and order.stripe_checkout_session_id:
            await _confirm_with_stripe(db, order, settings, gateway)
        return await passes_page(db, order, settings, done=done)


async def checkout_from_form(
    request: Request[Any, Any, Any],
    db: Any,
    settings: Any,
    gateway: StripeGateway | None,
    *,
    snapshot: Snapshot,
    data: dict[str, str],
    source_site: str | None,
    refused_page: Callable[[str, codes.Applied | None], Response[Any]],
    partner_site_id: uuid.UUID | None = None,
) -> Response[Any]:
    """A checkout form's POST, from the event page or a partner's embed (api/partners/): the
    attendee-details step, then the order; `refused_page` answers a refusal (422)."""
    event = snapshot.event
    details = DetailsStep()
    applied: codes.Applied | None = None
    try:
        if codes.normalize(data.get("code")):  # looked up once, for the step and the order
            applied, refusal = await codes.for_page(
                db, event_id=event.id, raw=data.get("code"), zone=event.timezone
            )
            await db.commit()  # ends the read: the order's statement runs in autocommit
            if refusal is not None:
                raise services.CheckoutError(refusal)
        quantities = {
            tier.id: services.parse_quantity(data.get(f"qty-{tier.id}", ""), tier=tier)
            for tier in event.tiers
        }
        form = services.CheckoutForm(
            quantities=quantities,
            email=data.get("email", ""),
            name=data.get("name", ""),
            source_site=source_site,
            partner_site_id=partner_site_id,
            client=ratelimit.client_key(ratelimit.client_ip(request)),
            code=data.get("code", ""),
            applied=applied,
            looked_up=True,
        )
        details = await ask_details(
            db, event=event, data=data, quantities=quantities, ask=snapshot.asked,
            paid=_paid(event, applied, quantities, settings) if applied else None,
        )  # fmt: skip
        if details.page is not None:
            return details.page
        form.attendees = details.tickets
        started = await services.start_checkout(
            db,
            event=event,
            form=form,
            settings=settings,
            gateway=gateway,
            gate=request.app.state.event_cache.gate(event.id),
        )
    except services.CheckoutError as exc:
        await db.rollback()
        if page := details.refused(event, data, str(exc)):
            return page
        return refused_page(str(exc), applied)
    return Redirect(path=started.redirect_url, status_code=303)


def _paid(
    event: Event, applied: codes.Applied, quantities: dict[uuid.UUID, int], settings: Any
) -> bool:
    """Whether payment follows the details step at the code's prices (a 100% code: "Get
    tickets", not "Continue to payment")."""
    fee = settings.fees.get(event.currency, 0)
    return any(
        codes.unit_price(tier, applied, fee_minor=fee) > 0
        for tier in event.tiers
        if quantities.get(tier.id, 0) > 0
    )


async def passes_page(
    db: Any, order: Order, settings: Any, *, done: str | None = None, problem: str | None = None,
    status_code: int = 200,
) -> Template:  # fmt: skip
    """The passes page; `done`/`problem`: what a transfer or cancellation form just did
    (api/checkout/self_service_pages.py)."""
    shown = await passes.shown_passes(db, order=order, secret_key=settings.secret_key)
    svgs = {item.id: qr_svg(item.token) for item in shown if item.token}
    wallets = {"apple": settings.apple_wallet_enabled, "google": settings.google_wallet_enabled}
    choices = await self_service.choices(db, order=order, event=order.event, now=utcnow())
    return Template(
        template_name="passes.html",
        context={
            "order": order,
            "event": order.event,
            "passes": shown,
            "svgs": svgs,
            "wallets": wallets,
            "self_service": choices,
            "done": done,
            "problem": problem,
        },
        headers=PRIVATE_HEADERS,
        status_code=status_code,
    )


async def _order(db: Any, public_id: str) -> Order:
    order = await passes.order_by_link(db, public_id)
    if order is None:
        raise NotFoundException(detail="No order at this link. Check the link in your email.")
    return order


async def _confirm_with_stripe(
    db: Any, order: Order, settings: Any, gateway: StripeGateway | None
) -> None:
    """Back from Checkout before the webhook: ask Stripe, and fulfil at once when paid."""
    if gateway is None or order.stripe_checkout_session_id is None:
        return
    try:
        checkout = await gateway.retrieve_checkout_session(order.stripe_checkout_session_id)
    except PaymentsUnavailable:
        log.warning("could not confirm checkout session for order %s", order.id)
        return
    if checkout.payment_status in ("paid", "no_payment_required"):
        await fulfilment.fulfil(
            db, order=order, settings=settings, payment_intent=checkout.payment_intent
        )
        await db.commit()
        await db.refresh(order)
    elif checkout.status == "expired":
        await fulfilment.expire(db, order_id=order.id)
        await db.commit()
        await db.refresh(order)
