"""Dashboard: duplicate an event, delete a draft (the rules are `api.events.copying`'s).

Owners and managers (and the operator) only, as for every change to events (`money_handlers`):
a door lead gets a 403, another organizer's event a 404. Deleting asks first on its own page,
which says what goes with the event, or why it cannot be deleted (an event that sold is kept).
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Who, money_handlers
from api.admin.deps import ThisEvent
from api.db import Event
from api.errors import Invalid
from api.events import copying
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE


class EventCopies(Controller):
    path = "/events/{event_id:uuid}"
    guards = [money_handlers]

    @post("/duplicate", status_code=303)
    async def duplicate(
        self, db: DB, who: Who, settings: AppSettings, event: ThisEvent
    ) -> Redirect:
        copy = await copying.duplicate_event(
            db, event=event, actor=who.who, secret_key=settings.secret_key
        )
        return Redirect(path=f"/admin/events/{copy.id}?copied=1", status_code=303)

    @get("/delete")
    async def confirm_delete(self, db: DB, event: ThisEvent) -> Template:
        return await _delete_page(db, event, [])

    @post("/delete", status_code=303)
    async def delete(self, db: DB, who: Who, event: ThisEvent) -> Template | Redirect:
        try:
            await copying.delete_draft(db, event=event, actor=who.who)
        except Invalid as exc:
            await db.refresh(event)
            return await _delete_page(db, event, exc.messages)
        return Redirect(path="/admin/?deleted=1", status_code=303)


async def _delete_page(db: AsyncSession, event: Event, errors: list[str]) -> Template:
    refusal = await copying.deletion_refusal(db, event=event)
    return Template(
        template_name="admin/event_delete.html",
        context={"event": event, "refusal": refusal, "errors": errors},
        status_code=400 if errors else 200,
        headers=NO_STORE,
    )
