"""The embed a partner site frames, and the organizer's page of partner sites.

How a purchase completes from a partner's page, in today's browsers:

- `/e/{slug}/embed?partner={id}` is the event's tiers, framed by the partner's page. Its
  Content-Security-Policy `frame-ancestors` names only that partner's registered origin; every
  other page, the event's own included, cannot be framed at all (api/web/security.py).
- Its form opens the checkout in a new tab (`target="_blank"`), as pretix's widget does when it
  cannot use cookies: Stripe Checkout refuses to be framed, and the passes page a buyer keeps
  belongs in a tab of its own. The partner's page stays where it was.
- The form cannot use the CSRF cookie (a third-party frame stores no `SameSite=Lax` cookie), so
  it carries a signed, short-lived token bound to the event and the partner (tokens.py says why
  that is enough). The POST is otherwise the event page's checkout (api/checkout/pages.py), the
  attendee-details step included: its page posts back here with the token.
- A free order lands on its passes page in the new tab; a paid one goes on to Stripe Checkout.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.types import Guard

from api.admin.access import Who, money_handlers, viewer_of
from api.admin.deps import ThisEvent, ThisOrganizer
from api.checkout.pages import checkout_from_form
from api.errors import Invalid
from api.events.cache import EventCache, Snapshot
from api.events.pages import event_context
from api.events.services import published_events
from api.partners import services, tokens
from api.web import ratelimit
from api.web.deps import DB, AppSettings, Gateway
from api.web.security import NO_STORE, content_security_policy

Form = URLEncodedBody[dict[str, str]]
ChosenEvent = Annotated[str, QueryParameter(name="event")]
"""`?event=` (a slug): "event" itself names the router's event dependency (api/admin/deps.py)."""
NOT_SET_UP = "This ticket box is not set up for this site. Tickets are on the event's own page."


SCRIPTS = {name: Path(__file__).parent / "static" / name for name in ("embed.js", "frame.js")}
"""embed.js runs on the partner's page and sizes the iframe to what frame.js, in the ticket
box, says its height is."""


def embed_url(base_url: str, *, slug: str, partner_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/e/{slug}/embed?partner={partner_id}"


def snippet(base_url: str, *, slug: str, partner_id: uuid.UUID, title: str) -> str:
    """The HTML a partner pastes into its page: the iframe, which works alone, and the script
    that fits its height to the ticket box (without it, the box scrolls inside 640 pixels)."""
    url = embed_url(base_url, slug=slug, partner_id=partner_id)
    safe_title = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (
        f'<iframe src="{url}" title="Tickets: {safe_title}" width="100%" height="640" '
        'style="border:0;max-width:44rem" loading="lazy"></iframe>\n'
        f'<script src="{base_url.rstrip("/")}/partners/embed.js" async></script>'
    )


async def _snapshot(request: Request[Any, Any, Any], slug: str) -> Snapshot:
    cache: EventCache = request.app.state.event_cache
    snapshot = await cache.snapshot(slug=slug)
    if snapshot is None:
        raise NotFoundException(detail="There is no published event at this address.")
    return snapshot


def _embed_page(
    snapshot: Snapshot, settings: Any, *, partner_id: uuid.UUID, origin: str | None,
    form: dict[str, str] | None = None, error: str | None = None, in_tab: bool = False,
    status: int = 200,
) -> Template:  # fmt: skip
    """The tiers and the form; `in_tab`: shown in the checkout's own tab (a refusal), so the
    form posts in place; `origin`: the one page origin allowed to frame it (None: not framed)."""
    token = tokens.issue(settings.secret_key, event_id=snapshot.event.id, partner_id=partner_id)
    context = event_context(snapshot, settings, error=error, form=form)
    context |= {"embed_token": token, "partner_id": partner_id, "in_tab": in_tab}
    csp = content_security_policy(settings, frame_ancestors=origin)
    return Template(
        template_name="partners/embed.html",
        context=context,
        status_code=status,
        headers={"Cache-Control": "no-store", "Content-Security-Policy": csp},
    )


class EmbedPages(Controller):
    include_in_schema = False

    @get("/e/{slug:str}/embed")
    async def embed(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        settings: AppSettings,
        slug: FromPath[str],
        partner: FromQuery[str] = "",
    ) -> Template:
        snapshot = await _snapshot(request, slug)
        site = None
        if partner_id := _uuid(partner):
            site = await services.embedding_partner(db, event=snapshot.event, partner_id=partner_id)
        if site is None:
            raise NotFoundException(detail=NOT_SET_UP)
        return _embed_page(snapshot, settings, partner_id=site.id, origin=site.origin)

    @get("/partners/{name:str}")
    async def script(self, name: FromPath[str]) -> Response[bytes]:
        """embed.js (for partners' pages) and frame.js (the ticket box's)."""
        path = SCRIPTS.get(name)
        if path is None:
            raise NotFoundException(detail="No such file: embed.js or frame.js.")
        return Response(
            path.read_bytes(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @post(
        "/e/{slug:str}/embed/checkout",
        status_code=303,
        guards=[ratelimit.CHECKOUT],
        opt={"exclude_from_csrf": True},  # the form's own token instead (tokens.py)
    )
    async def checkout(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        settings: AppSettings,
        gateway: Gateway,
        slug: FromPath[str],
        data: Form,
    ) -> Response[Any]:
        snapshot = await _snapshot(request, slug)
        token = tokens.read(settings.secret_key, data.get("embed_token", ""))
        if token is None or token.event_id != snapshot.event.id:
            raise PermissionDeniedException(
                detail="This ticket form is too old or was altered: open the tickets again "
                f"at {settings.base_url.rstrip('/')}/e/{slug}."
            )
        site = await services.embedding_partner(
            db, event=snapshot.event, partner_id=token.partner_id
        )
        if site is None:
            raise PermissionDeniedException(detail=NOT_SET_UP)
        site_id, site_name = site.id, site.name  # a refusal rolls back, which expires `site`

        def refused(message: str, _applied: object) -> Template:
            return _embed_page(
                snapshot, settings, partner_id=site_id, origin=None, form=data, error=message,
                in_tab=True, status=422,
            )  # fmt: skip

        result = await checkout_from_form(
            request, db, settings, gateway, snapshot=snapshot, data=data,
            source_site=site_name, partner_site_id=site_id, refused_page=refused,
        )  # fmt: skip
        if isinstance(result, Template) and result.template_name == "checkout_details.html":
            result.context["action"] = f"/e/{slug}/embed/checkout"  # the token is carried
        return result


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


async def owners_and_managers(connection: Any, _: Any) -> None:
    """The organizer in the path: its owners and managers (who run its sales), and the operator."""
    who = viewer_of(connection)
    organizer_id: uuid.UUID = connection.path_params["organizer_id"]
    if not who.may_see(organizer_id):
        raise NotFoundException(detail="No such organizer.")
    if not who.may_handle_money(organizer_id):
        raise PermissionDeniedException(detail="Only owners and managers can manage partner sites.")


_GUARDS: list[Guard] = [owners_and_managers]


class PartnerAdmin(Controller):
    """/admin/organizers/{id}/partners: the list, its add form, and each site's embed snippet
    for the event chosen in `?event=`."""

    path = "/organizers/{organizer_id:uuid}/partners"
    guards = _GUARDS

    @get("/")
    async def partners(
        self, db: DB, settings: AppSettings, organizer: ThisOrganizer, chosen: ChosenEvent = ""
    ) -> Template:
        return await _admin_page(db, settings, organizer, chosen=chosen)

    @post("/", status_code=303)
    async def add(
        self, db: DB, who: Who, settings: AppSettings, organizer: ThisOrganizer, data: Form
    ) -> Redirect | Template:
        try:
            await services.add_partner(
                db, organizer_id=organizer.id, name=data.get("name", ""),
                origin=data.get("origin", ""), actor=who.who,
            )  # fmt: skip
        except Invalid as exc:
            await db.rollback()
            await db.refresh(organizer)
            return await _admin_page(db, settings, organizer, note=str(exc), form=data)
        return Redirect(path=f"/admin/organizers/{organizer.id}/partners/", status_code=303)

    @post("/{partner_id:uuid}/remove", status_code=303)
    async def remove(
        self, db: DB, who: Who, settings: AppSettings, organizer: ThisOrganizer,
        partner_id: FromPath[uuid.UUID],
    ) -> Redirect | Template:  # fmt: skip
        try:
            await services.remove_partner(
                db, organizer_id=organizer.id, partner_id=partner_id, actor=who.who
            )
        except Invalid as exc:
            await db.rollback()
            await db.refresh(organizer)
            return await _admin_page(db, settings, organizer, note=str(exc))
        return Redirect(path=f"/admin/organizers/{organizer.id}/partners/", status_code=303)


async def _admin_page(
    db: Any, settings: Any, organizer: Any, *, chosen: str = "", note: str = "",
    form: dict[str, str] | None = None,
) -> Template:  # fmt: skip
    events = await published_events(db, organizer_id=organizer.id)
    event = next((e for e in events if e.slug == chosen), events[0] if events else None)
    sites = await services.partners_of(db, organizer_id=organizer.id)
    snippets = {
        site.id: snippet(settings.base_url, slug=event.slug, partner_id=site.id, title=event.name)
        for site in sites
        if event is not None
    }
    return Template(
        template_name="admin/partners.html",
        context={
            "organizer": organizer,
            "events": events,
            "event": event,
            "sites": sites,
            "snippets": snippets,
            "note": note,
            "form": form or {},
        },
        status_code=422 if note else 200,
        headers=NO_STORE,
    )


@get("/events/{event_id:uuid}/partners", status_code=303, guards=[money_handlers])
async def event_partners(event: ThisEvent) -> Redirect:
    """The event overview's "Partner sites" action: the organizer's page, on this event."""
    return Redirect(
        path=f"/admin/organizers/{event.organizer_id}/partners/?event={event.slug}",
        status_code=303,
    )
