"""The dashboard's webhooks pages, for the organizer's owners and managers (and the operator):
`/admin/organizers/{id}/outgoing-webhooks`, never a path with `/webhooks/` in it, which the
session and CSRF middleware leave out (Stripe's incoming webhooks). Add an endpoint (its secret
shown once), disable, enable or remove it, read its delivery log and resend a delivery.
Revealing a secret again is for owners. Every change is audited (api/outgoing/endpoints.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Who, viewer_of
from api.admin.deps import ThisOrganizer
from api.db import Organizer, WebhookEndpoint
from api.errors import Invalid
from api.outgoing import endpoints
from api.outgoing.emit import EVENT_TYPES
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE

Form = URLEncodedBody[dict[str, str | list[str]]]

MEANINGS = {
    "order.paid": "an order is paid (or a free order placed)",
    "order.refunded": "money is refunded",
    "pass.voided": "a pass is voided",
    "pass.checked_in": "a door admits a pass (when its phone syncs)",
    "event.sold_out": "a tier's last seat is sold",
}
assert set(MEANINGS) == set(EVENT_TYPES)


async def owners_and_managers(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """The organizer in the path: its owners and managers, and the operator."""
    who = viewer_of(connection)
    organizer_id: uuid.UUID = connection.path_params["organizer_id"]
    if not who.may_see(organizer_id):
        raise NotFoundException(detail="No such organizer.")
    if not who.may_handle_money(organizer_id):
        raise PermissionDeniedException(detail="Only owners and managers can manage webhooks.")


def _base(organizer: Organizer) -> str:
    return f"/admin/organizers/{organizer.id}/outgoing-webhooks"


class WebhookPages(Controller):
    path = "/organizers/{organizer_id:uuid}/outgoing-webhooks"
    guards = [owners_and_managers]

    @get("/")
    async def list_endpoints(self, db: DB, who: Who, organizer: ThisOrganizer) -> Template:
        return await _list(db, organizer, who.may_manage(organizer.id))

    @post("/", status_code=200)
    async def create(
        self, db: DB, who: Who, settings: AppSettings, organizer: ThisOrganizer, data: Form
    ) -> Template:
        url = data.get("url", "")
        events = data.get("event", [])
        try:
            made = await endpoints.create(
                db, organizer_id=organizer.id, url=url if isinstance(url, str) else "",
                events=[events] if isinstance(events, str) else events, actor=who.who,
                settings=settings,
            )  # fmt: skip
        except Invalid as exc:  # raised before anything is written
            return await _list(db, organizer, who.may_manage(organizer.id), problems=exc.messages)
        await db.commit()
        return await _endpoint_page(
            db, organizer, made.endpoint, owner=who.may_manage(organizer.id), secret=made.secret
        )

    @get("/{endpoint_id:uuid}")
    async def endpoint(
        self, db: DB, who: Who, organizer: ThisOrganizer, endpoint_id: FromPath[uuid.UUID]
    ) -> Template:
        found = await endpoints.endpoint_of(db, organizer_id=organizer.id, endpoint_id=endpoint_id)
        return await _endpoint_page(db, organizer, found, owner=who.may_manage(organizer.id))

    @post("/{endpoint_id:uuid}/reveal", status_code=200)
    async def reveal(
        self, db: DB, who: Who, settings: AppSettings, organizer: ThisOrganizer,
        endpoint_id: FromPath[uuid.UUID],
    ) -> Template:  # fmt: skip
        if not who.may_manage(organizer.id):
            raise PermissionDeniedException(detail="Only the organizer's owners can see a secret.")
        secret = await endpoints.reveal(
            db, organizer_id=organizer.id, endpoint_id=endpoint_id, actor=who.who,
            settings=settings,
        )  # fmt: skip
        await db.commit()
        found = await endpoints.endpoint_of(db, organizer_id=organizer.id, endpoint_id=endpoint_id)
        return await _endpoint_page(db, organizer, found, owner=True, secret=secret)

    @post("/{endpoint_id:uuid}/disable", status_code=303)
    async def disable(
        self, db: DB, who: Who, organizer: ThisOrganizer, endpoint_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await endpoints.set_enabled(
            db, organizer_id=organizer.id, endpoint_id=endpoint_id, enabled=False, actor=who.who
        )
        await db.commit()
        return Redirect(path=f"{_base(organizer)}/{endpoint_id}", status_code=303)

    @post("/{endpoint_id:uuid}/enable", status_code=303)
    async def enable(
        self, db: DB, who: Who, organizer: ThisOrganizer, endpoint_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await endpoints.set_enabled(
            db, organizer_id=organizer.id, endpoint_id=endpoint_id, enabled=True, actor=who.who
        )
        await db.commit()
        return Redirect(path=f"{_base(organizer)}/{endpoint_id}", status_code=303)

    @post("/{endpoint_id:uuid}/remove", status_code=303)
    async def remove(
        self, db: DB, who: Who, organizer: ThisOrganizer, endpoint_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await endpoints.remove(
            db, organizer_id=organizer.id, endpoint_id=endpoint_id, actor=who.who
        )
        await db.commit()
        return Redirect(path=f"{_base(organizer)}/", status_code=303)

    @post("/{endpoint_id:uuid}/deliveries/{delivery_id:uuid}/resend", status_code=303)
    async def resend(
        self, db: DB, who: Who, organizer: ThisOrganizer, endpoint_id: FromPath[uuid.UUID],
        delivery_id: FromPath[uuid.UUID],
    ) -> Redirect:  # fmt: skip
        delivery = await endpoints.resend(
            db, organizer_id=organizer.id, delivery_id=delivery_id, actor=who.who
        )
        if delivery.endpoint_id != endpoint_id:
            await db.rollback()
            raise NotFoundException(detail="No such delivery.")
        await db.commit()
        return Redirect(
            path=f"{_base(organizer)}/{endpoint_id}?resent={delivery_id}", status_code=303
        )


async def _list(
    db: AsyncSession, organizer: Organizer, owner: bool, *, problems: list[str] | None = None
) -> Template:
    return Template(
        template_name="admin/webhooks.html",
        context={
            "organizer": organizer,
            "endpoints": await endpoints.endpoints_of(db, organizer_id=organizer.id),
            "meanings": MEANINGS,
            "errors": problems or [],
            "owner": owner,
        },
        status_code=400 if problems else 200,
    )


async def _endpoint_page(
    db: AsyncSession, organizer: Organizer, endpoint: WebhookEndpoint, *, owner: bool,
    secret: str | None = None,
) -> Template:  # fmt: skip
    return Template(
        template_name="admin/webhook_endpoint.html",
        context={
            "organizer": organizer,
            "endpoint": endpoint,
            "deliveries": await endpoints.deliveries(db, endpoint_id=endpoint.id),
            "secret": secret,
            "owner": owner,
        },
        headers=NO_STORE,
    )
