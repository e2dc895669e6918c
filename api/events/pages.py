"""Public HTML pages: the home page, an organizer's page and the event page (server-rendered, no
JavaScript needed)."""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from datetime import datetime
from typing import Any
from urllib.parse import quote

from litestar import Controller, MediaType, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from litestar.utils.scope.state import ScopeState

from api.checkout import codes
from api.checkout import services as checkout
from api.db import Event, TicketTier, utcnow
from api.events import ics, services, sharing
from api.events.cache import EventCache, Snapshot
from api.formatting import clock
from api.i18n import context as i18n
from api.i18n import gettext, refusals
from api.web.deps import DB, AppSettings

# The event page is rendered once per event snapshot (and `via` value) with this in place of
# the visitor's CSRF token, which is the only per-visitor part of the page; each request then
# only substitutes its token. Rendering was a quarter of the page's cost under load.
_TOKEN_SLOT = "__poctix_slot_csrf__"  # noqa: S105  (a placeholder, not a secret)
_CSRF_INPUT = f'<input type="hidden" name="_csrf_token" value="{_TOKEN_SLOT}" />'
_RENDERED_MAX = 1024
# A refused checkout's page (the form again, with its error and what the buyer typed) is kept
# the same way, with a slot for the error and for each field: when a tier sells out, hundreds
# of buyers are refused within a second, and rendering each page took most of the refusal's
# time (bench/README.md, "Sold-out burst").
_SLOT = re.compile(r"__poctix_slot_([a-z0-9-]+)__")
_ERROR = "error"
_FIELDS = ("email", "name", "code")


def _slot(name: str) -> str:
    return f"__poctix_slot_{name}__"


def fill(page: str, values: dict[str, str]) -> str:
    """`page` with each slot replaced by its value, escaped, in one pass (a value that looks
    like a slot stays as typed)."""
    return _SLOT.sub(lambda slot: html.escape(values.get(slot.group(1), "")), page)


def event_context(
    snapshot: Snapshot,
    settings: Any,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    now: datetime | None = None,
    code: codes.Applied | None = None,
    code_error: str | None = None,
) -> dict[str, Any]:
    """The event page's context. Every verdict that depends on the clock (on sale, ended, when
    held seats may come back) is worked out here from the snapshot's times, at each request."""
    moment = now or utcnow()
    event = snapshot.event
    tiers = []
    for tier in event.tiers:
        if not codes.visible(tier, code):  # a hidden tier, shown only with its access code
            continue
        state = services.tier_state(tier, event=event, now=moment)
        tiers.append((tier, state, _held_note(tier, state, snapshot, moment)))
    over = all(state is services.TierState.ended for _, state, _ in tiers)
    shown = [(tier, state) for tier, state, _ in tiers]
    personal = code is not None or code_error is not None
    return {
        "event": event,
        "tiers": tiers,
        "share": sharing.Share.of(event, shown, base_url=settings.base_url, personal=personal),
        "sales_over": over if tiers else moment >= event.starts_at,
        "paid_unavailable": checkout.paid_tiers_unavailable(event, settings),
        "error": error,
        "form": form or {},
        **codes.page_context(event, settings, code=code, error=code_error),
    }


def _held_note(
    tier: TicketTier, state: services.TierState, snapshot: Snapshot, now: datetime
) -> str | None:
    """For a tier whose last seats are all in unpaid checkouts: "All 20 left are held in
    checkouts; some may come back by 8:42 PM" (the earliest hold's end, in the event's zone)."""
    if state is not services.TierState.held:
        return None
    left = tier.capacity - tier.sold
    ends = snapshot.hold_ends.get(tier.id)
    if ends and ends > now:
        return gettext(
            "All %(count)s left are held in checkouts; some may come back by %(time)s"
        ) % {"count": left, "time": clock(ends, snapshot.event.timezone)}
    return gettext("All %(count)s left are held in checkouts; some may come back soon") % {
        "count": left
    }


class RenderedPages:
    """Rendered event pages keyed by (slug, via), valid while their snapshot is current and
    every tier's verdict (worked out from the snapshot's times at this request) is unchanged:
    a sale window that closes mid-snapshot is closed on the next page."""

    def __init__(self) -> None:
        self._pages: OrderedDict[tuple[str, str | None, str], tuple[Event, Any, str]] = (
            OrderedDict()
        )
        self._refusals: OrderedDict[tuple[str, str | None, str], tuple[Event, Any, str]] = (
            OrderedDict()
        )

    def page(self, request: Request[Any, Any, Any], event: Event, context: dict[str, Any],
             via: str | None) -> str:  # fmt: skip
        if context.get("code") or context.get("code_error"):
            return self.render(request, context)  # one buyer's code: not kept for others
        key = (event.slug, via, i18n.current())  # one copy per language
        verdicts = tuple((state, note) for _, state, note in context["tiers"])
        hit = self._pages.get(key)
        if hit is not None and hit[0] is event and hit[1] == verdicts:
            return hit[2]
        text = self.render(request, context)
        self._pages[key] = (event, verdicts, text)
        self._pages.move_to_end(key)
        while len(self._pages) > _RENDERED_MAX:
            self._pages.popitem(last=False)
        return text

    def refused(self, request: Request[Any, Any, Any], snapshot: Snapshot, settings: Any,
                error: str, form: dict[str, str]) -> str:  # fmt: skip
        """The event page refusing a checkout without a code: `error` above the form, filled
        in with what was sent (`form`) and this response's CSRF token."""
        event = snapshot.event
        via = form.get("via") or None
        key = (event.slug, via, i18n.current())
        slots = {"via": via or "", **{field: _slot(field) for field in _FIELDS}}
        slots.update({f"qty-{tier.id}": _slot(f"qty-{tier.id}") for tier in event.tiers})
        context = event_context(snapshot, settings, error=_slot(_ERROR), form=slots)
        verdicts = tuple((state, note) for _, state, note in context["tiers"])
        hit = self._refusals.get(key)
        if hit is None or hit[0] is not event or hit[1] != verdicts:
            here = f"/e/{event.slug}" + (f"?via={quote(via)}" if via else "")
            hit = (event, verdicts, self.render(request, context, here=here))
            self._refusals[key] = hit
            self._refusals.move_to_end(key)
            while len(self._refusals) > _RENDERED_MAX:
                self._refusals.popitem(last=False)
        values = {field: form.get(field, "") for field in _FIELDS}
        values.update({f"qty-{tier.id}": form.get(f"qty-{tier.id}", "0") for tier in event.tiers})
        values[_ERROR] = refusals.translate(error)
        values["csrf"] = _token(request)
        return fill(hit[2], values)

    def render(
        self, request: Request[Any, Any, Any], context: dict[str, Any], *, here: str | None = None
    ) -> str:
        engine = request.app.template_engine
        assert engine is not None  # configured in create_app
        text: str = engine.get_template("event.html").render(
            **context, csrf_input=_CSRF_INPUT, here=here or request.url.path
        )
        return text


class EventPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self) -> Template:
        """What POCtix is, and the two ways in: selling (apply) and buying (find my tickets).
        No events: the product promises no feed that sends one venue's buyers to another."""
        return Template(template_name="home.html")

    @get("/o/{slug:str}")
    async def organizer_page(self, db: DB, settings: AppSettings, slug: FromPath[str]) -> Template:
        """One organizer's public page: its name, logo and upcoming published events only."""
        organizer = await services.organizer_by_slug(db, slug=slug.lower())
        if organizer is None:
            raise NotFoundException(detail="There is no organizer at this address.")
        events = await services.published_events(db, organizer_id=organizer.id)
        return Template(
            template_name="organizer_page.html",
            context={
                "organizer": organizer,
                "events": events,
                "share": sharing.OrganizerShare(organizer, events, settings.base_url),
            },
        )

    @get("/e/{slug:str}")
    async def event_page(
        self,
        request: Request[Any, Any, Any],
        settings: AppSettings,
        slug: FromPath[str],
        via: FromQuery[str | None] = None,
        code: FromQuery[str | None] = None,
    ) -> Response[str]:
        cache: EventCache = request.app.state.event_cache
        snapshot = await cache.snapshot(slug=slug)
        if snapshot is None:  # unknown, or a draft: never listed by search engines
            raise NotFoundException(
                detail="There is no published event at this address.", headers=sharing.NOINDEX
            )
        form = {"via": via} if via else {}
        applied, refused = None, None
        if code and code.strip():
            # "Have a code?" (or a `?code=` link): the page with the code's prices and hidden
            # tiers. A session only then: the page without a code stays off the database.
            form["code"] = "".join(ch for ch in code[:40] if ch.isprintable()).strip()
            event = snapshot.event
            async with request.app.state.sessions() as db:
                applied, refused = await codes.for_page(
                    db, event_id=event.id, raw=code, zone=event.timezone
                )
        i18n.default_to(snapshot.event.default_language)  # if the browser asked for none we have
        rendered: RenderedPages = request.app.state.rendered_pages
        context = event_context(snapshot, settings, form=form, code=applied, code_error=refused)
        page = rendered.page(request, snapshot.event, context, via)
        return with_token(request, page)

    @get("/e/{slug:str}/event.ics")
    async def event_calendar(
        self, request: Request[Any, Any, Any], settings: AppSettings, slug: FromPath[str]
    ) -> Response[bytes]:
        """The event as an iCalendar file, for "Add to calendar" (api/events/ics.py)."""
        cache: EventCache = request.app.state.event_cache
        event = await cache.get(slug=slug)
        if event is None:
            raise NotFoundException(detail="There is no published event at this address.")
        return Response(
            ics.event_ics(event, base_url=settings.base_url),
            media_type="text/calendar",  # Litestar adds "; charset=utf-8"
            headers={
                "Content-Disposition": f'attachment; filename="{event.slug}.ics"',
                "Cache-Control": "public, max-age=60",
            },
        )


def with_token(
    request: Request[Any, Any, Any], page: str, *, status_code: int = 200
) -> Response[str]:
    """A kept page (`RenderedPages`) with this response's CSRF token in its slot."""
    return Response(
        page.replace(_TOKEN_SLOT, html.escape(_token(request))), media_type=MediaType.HTML,
        status_code=status_code,
    )  # fmt: skip


def _token(request: Request[Any, Any, Any]) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""
