"""An event's "Transfers and cancellations" page: what its buyers may do after the sale.

Owners and managers (and the operator) set it, as they edit the event (`money_handlers`: a
door lead gets a 403). The rules and their reading are `api.checkout.self_service`'s; a form
that cannot be saved comes back with status 400 and its reasons.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from api.admin.access import Who, money_handlers
from api.admin.deps import ThisEvent
from api.checkout import self_service
from api.db import Event
from api.errors import Invalid
from api.web.deps import DB
from api.web.security import NO_STORE

Form = URLEncodedBody[dict[str, str]]


class SelfServiceSettings(Controller):
    path = "/events/{event_id:uuid}/self-service"
    guards = [money_handlers]

    @get("/")
    async def show(self, db: DB, event: ThisEvent) -> Template:
        rules = await self_service.policy(db, event_id=event.id)
        form = {
            "transfers": "yes" if rules.transfers else "",
            "transfer_hours": str(rules.transfer_hours),
            "cancellation": "yes" if rules.cancellation else "",
            "cancel_hours": str(rules.cancel_hours),
            "cancel_refunds_fee": "yes" if rules.cancel_refunds_fee else "",
        }
        return _page(event, form, [], status_code=200)

    @post("/", status_code=303)
    async def save(self, db: DB, who: Who, event: ThisEvent, data: Form) -> Template | Redirect:
        try:
            fields = self_service.read_fields(data)
        except Invalid as exc:
            return _page(event, data, exc.messages, status_code=400)
        await self_service.save(db, event=event, fields=fields, actor=who.who)
        await db.commit()
        return Redirect(path=f"/admin/events/{event.id}/self-service?saved=1", status_code=303)


def _page(event: Event, form: object, errors: list[str], *, status_code: int) -> Template:
    return Template(
        template_name="admin/self_service.html",
        context={"event": event, "form": form, "errors": errors},
        status_code=status_code,
        headers=NO_STORE,
    )
