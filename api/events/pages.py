"""Public HTML pages: the home page and the event page (server-rendered, no JavaScript needed)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from api.checkout.pages import event_context
from api.events import services
from api.events.cache import EventCache
from api.web.deps import DB, AppSettings


class EventPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, db: DB) -> Template:
        events = await services.published_events(db)
        return Template(template_name="home.html", context={"events": events})

    @get("/e/{slug:str}")
    async def event_page(
        self,
        request: Request[Any, Any, Any],
        settings: AppSettings,
        slug: FromPath[str],
        via: FromQuery[str | None] = None,
    ) -> Template:
        cache: EventCache = request.app.state.event_cache
        event = await cache.get(slug=slug)
        if event is None:
            raise NotFoundException(detail="There is no published event at this address.")
        form = {"via": via} if via else {}
        return Template(
            template_name="event.html", context=event_context(event, settings, form=form)
        )
