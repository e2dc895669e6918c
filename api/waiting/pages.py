"""Buyer pages of the waiting list: joining a sold-out tier's list (linked from the event page)
and the offer link of the email (`/waiting/offer/{token}`), whose POST buys the held seats.

The claim's POST is a checkout of those seats: it takes a code typed on the offer page, and when
the event asks attendee details it answers first with the checkout's details page
(`api.checkout.details_step`, posting back here), then claims with the details read."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from api.checkout import attendees, codes
from api.checkout.details_step import DetailsStep, Target, ask_details
from api.db import Event, Order, TicketTier, WaitingEntry, WaitingStatus
from api.events.cache import EventCache
from api.settings import Settings
from api.waiting import offers, services
from api.web import ratelimit
from api.web.deps import DB, AppSettings, Gateway
from api.web.security import PRIVATE_HEADERS

JOIN = ratelimit.rate_limit("waiting-list", per_window=20, window_seconds=600)
"""Joining sends an email: counted apart from checkout, as tight as sign-in links."""
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,43}")


async def _event_and_tier(
    request: Request[Any, Any, Any], slug: str, tier_id: uuid.UUID
) -> tuple[Event, TicketTier]:
    cache: EventCache = request.app.state.event_cache
    snapshot = await cache.snapshot(slug=slug)
    if snapshot is None:
        raise NotFoundException(detail="There is no published event at this address.")
    tier = next((t for t in snapshot.event.tiers if t.id == tier_id), None)
    if tier is None:
        raise NotFoundException(detail="This event has no such ticket tier.")
    return snapshot.event, tier


class WaitingPages(Controller):
    include_in_schema = False

    @get("/e/{slug:str}/waiting/{tier_id:uuid}")
    async def join_form(
        self, request: Request[Any, Any, Any], db: DB, slug: FromPath[str],
        tier_id: FromPath[uuid.UUID], joined: FromQuery[int | None] = None,
    ) -> Template:  # fmt: skip
        event, tier = await _event_and_tier(request, slug, tier_id)
        return await _join_page(db, event, tier, joined=bool(joined), error=None, form={})

    @post("/e/{slug:str}/waiting/{tier_id:uuid}", status_code=303, guards=[JOIN])
    async def join(
        self, request: Request[Any, Any, Any], db: DB, slug: FromPath[str],
        tier_id: FromPath[uuid.UUID], data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:  # fmt: skip
        event, tier = await _event_and_tier(request, slug, tier_id)
        try:
            await services.join(
                db, event=event, tier=tier, email=data.get("email", ""),
                name=data.get("name", ""), quantity=data.get("quantity", "1"),
            )  # fmt: skip
        except services.WaitingError as exc:
            await db.rollback()
            return await _join_page(db, event, tier, joined=False, error=str(exc), form=data)
        await db.commit()
        return Redirect(path=f"/e/{event.slug}/waiting/{tier.id}?joined=1", status_code=303)

    @get("/waiting/offer/{public_id:str}")
    async def offer(
        self, db: DB, settings: AppSettings, public_id: FromPath[str],
        code: FromQuery[str | None] = None,
    ) -> Template:  # fmt: skip
        """The offer's link. Its token is named `public_id`, as an order's is, so the log
        scrubber cuts it out of every logged path (api.web.observability). `?code=` (the
        page's "Have a code?" form, as on the event page) shows the price with the code."""
        entry = await _entry(db, public_id)
        return await _offer_page(db, entry, settings, error=None, code=code)

    @post("/waiting/offer/{public_id:str}", status_code=303, guards=[ratelimit.CHECKOUT])
    async def claim(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        settings: AppSettings,
        gateway: Gateway,
        public_id: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        token = public_id
        entry = await _entry(db, token)
        code = data.get("code", "")
        details = DetailsStep()
        try:
            if services.offer_open(entry):  # else the claim says it ended, or was used
                details = await _details(db, entry, data, settings)
                if details.page is not None:
                    return details.page
            claimed = await services.claim(
                db, token=token, settings=settings, gateway=gateway,
                client=ratelimit.client_key(ratelimit.client_ip(request)), code=code,
                tickets=details.tickets,
            )  # fmt: skip
        except services.WaitingError as exc:
            await db.rollback()
            entry = await _entry(db, token)
            if details.tickets and services.offer_open(entry):  # what was typed is kept
                event, _ = await services.entry_context(db, entry)
                if page := details.refused(event, data, str(exc)):
                    page.headers.update(PRIVATE_HEADERS)
                    return page
            return await _offer_page(db, entry, settings, error=str(exc), code=code)
        return Redirect(path=claimed.redirect_url, status_code=303)


async def _entry(db: Any, token: str) -> WaitingEntry:
    entry = await services.entry_by_token(db, token=token) if _TOKEN.fullmatch(token) else None
    if entry is None:
        raise NotFoundException(detail="No offer at this link. Check the link in your email.")
    return entry


async def _details(
    db: Any, entry: WaitingEntry, data: dict[str, str], settings: Settings
) -> DetailsStep:
    """The attendee details the event asks of the offer's tickets, through the checkout's own
    step; a code that cannot be used is refused first, on the offer page, before any typing."""
    event, tier = await services.entry_context(db, entry)
    applied = await services.offer_code(db, event=event, raw=data.get("code", ""))
    price = codes.unit_price(tier, applied, fee_minor=settings.fees.get(event.currency, 0))
    ask = await attendees.read_asked(db, event=event)
    link = f"/waiting/offer/{entry.offer_token}"
    step = await ask_details(
        db, event=event, data={**data, "email": entry.email, "name": entry.name},
        quantities={tier.id: entry.quantity}, ask=ask,
        target=Target(action=link, back=link, buyer=entry.email, paid=price > 0),
    )  # fmt: skip
    if step.page is not None:
        step.page.headers.update(PRIVATE_HEADERS)  # the offer's token is in the page
    return step


async def _join_page(
    db: Any, event: Event, tier: TicketTier, *, joined: bool, error: str | None,
    form: dict[str, str],
) -> Template:  # fmt: skip
    choices = await offers.settings_of(db, tier_id=tier.id)
    return Template(
        template_name="waiting_join.html",
        context={
            "event": event,
            "tier": tier,
            "joined": joined,
            "error": error,
            "form": form,
            "hours": choices.offer_hours,
            "closed": not choices.open,
        },
        status_code=422 if error else 200,
        headers=PRIVATE_HEADERS,
    )


async def _offer_page(
    db: Any, entry: WaitingEntry, settings: Settings, *, error: str | None,
    code: str | None = None,
) -> Template:  # fmt: skip
    event, tier = await services.entry_context(db, entry)
    applied, code_error = await codes.for_page(db, event_id=event.id, raw=code, zone=event.timezone)
    price = codes.unit_price(tier, applied, fee_minor=settings.fees.get(event.currency, 0))
    public_id = None
    if entry.status == WaitingStatus.claimed and entry.order_id is not None:
        order = await db.get(Order, entry.order_id)
        public_id = order.public_id if order is not None else None
    state = "open" if services.offer_open(entry) else ("claimed" if public_id else "ended")
    return Template(
        template_name="waiting_offer.html",
        context={
            "entry": entry,
            "event": event,
            "tier": tier,
            "state": state,
            "error": error,
            "order_public_id": public_id,
            "code": applied,
            "code_error": code_error if code_error != error else None,
            "code_summary": codes.summary(applied, event.currency) if applied else None,
            "total": price * entry.quantity,
            "list_total": tier.price_minor * entry.quantity,
        },
        status_code=422 if error else 200,
        headers=PRIVATE_HEADERS,
    )
