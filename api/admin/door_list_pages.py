"""Door lists, for organizers: which passes a door admits and when (issue 16 section 1).

Everyone who sees an event's door (door leads too, as for pairing links) may make and change its
lists. The rules and the numbering phones pull by are `api.checkin.door_lists`'s: a change
reaches each phone bound to the list at its next pull. Times are typed in the event's zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Who
from api.admin.deps import ThisEvent
from api.admin.event_forms import local_input, read_door_list
from api.checkin import door_lists
from api.db import DoorList, Event, ScannerDevice, TicketTier
from api.errors import Invalid, NotFound
from api.web.deps import DB
from api.web.security import NO_STORE

ListForm = URLEncodedBody[dict[str, str | list[str]]]


class DoorListPages(Controller):
    path = "/events/{event_id:uuid}/door-lists"

    @get("/")
    async def lists(self, db: DB, event: ThisEvent) -> Template:
        return await _page(db, event, editing=None, form=None, errors=[])

    @post("/", status_code=303)
    async def create(self, db: DB, who: Who, event: ThisEvent, data: ListForm) -> Any:
        return await _save(db, who.who, event, data, list_id=None)

    @get("/{list_id:uuid}")
    async def edit(self, db: DB, event: ThisEvent, list_id: FromPath[uuid.UUID]) -> Template:
        door_list = await _one(db, event, list_id)
        return await _page(db, event, editing=door_list, form=None, errors=[])

    @post("/{list_id:uuid}", status_code=303)
    async def save(
        self, db: DB, who: Who, event: ThisEvent, list_id: FromPath[uuid.UUID], data: ListForm
    ) -> Any:
        await _one(db, event, list_id)
        return await _save(db, who.who, event, data, list_id=list_id)


async def _one(db: AsyncSession, event: Event, list_id: uuid.UUID) -> DoorList:
    door_list = await db.get(DoorList, list_id)
    if door_list is None or door_list.event_id != event.id:
        raise NotFound("No such door list.")
    return door_list


async def _save(
    db: AsyncSession, actor: str, event: Event, data: Mapping[str, str | list[str]],
    *, list_id: uuid.UUID | None,
) -> Template | Redirect:  # fmt: skip
    try:
        try:
            await door_lists.save_list(
                db, event=event, fields=read_door_list(data, zone=event.timezone),
                actor=actor, list_id=list_id,
            )  # fmt: skip
        except door_lists.DoorListRefused as exc:
            raise Invalid(str(exc)) from exc
    except Invalid as exc:
        await db.rollback()
        await db.refresh(event)  # as stored: the refused save changed nothing
        editing = await _one(db, event, list_id) if list_id else None
        return await _page(db, event, editing=editing, form=data, errors=exc.messages)
    await db.commit()
    return Redirect(path=f"/admin/events/{event.id}/door-lists?saved=1", status_code=303)


def _form_of(door_list: DoorList | None, zone: str) -> dict[str, Any]:
    if door_list is None:
        return {"name": "", "admits": "every", "tier": [], "opens_at": "", "closes_at": "",
                "reentry": ""}  # fmt: skip
    return {
        "name": door_list.name,
        "admits": "every" if door_list.tier_ids is None else "chosen",
        "tier": [str(t) for t in door_list.tier_ids or []],
        "opens_at": local_input(door_list.opens_at, zone),
        "closes_at": local_input(door_list.closes_at, zone),
        "reentry": "yes" if door_list.reentry else "",
    }


def _as_sent(data: Mapping[str, str | list[str]]) -> dict[str, Any]:
    ticked = data.get("tier", [])
    return {**data, "tier": [ticked] if isinstance(ticked, str) else list(ticked)}


async def _page(
    db: AsyncSession, event: Event, *, editing: DoorList | None,
    form: Mapping[str, str | list[str]] | None, errors: list[str],
) -> Template:  # fmt: skip
    lists = await door_lists.event_lists(db, event_id=event.id)
    tiers = list(
        await db.scalars(
            select(TicketTier).where(TicketTier.event_id == event.id).order_by(TicketTier.position)
        )
    )
    names = {tier.id: tier.name for tier in tiers}
    phones = dict(
        (
            await db.execute(
                select(ScannerDevice.door_list_id, func.count())
                .where(
                    ScannerDevice.event_id == event.id,
                    ScannerDevice.revoked_at.is_(None),
                    ScannerDevice.dashboard.is_(False),
                )
                .group_by(ScannerDevice.door_list_id)
            )
        ).all()
    )
    rows = [
        {
            "list": item,
            "admits": "Every tier"
            if item.tier_ids is None
            else ", ".join(names[t] for t in item.tier_ids if t in names),
            "phones": phones.get(item.id, 0),
        }
        for item in lists
    ]
    return Template(
        template_name="admin/door_lists.html",
        context={
            "event": event, "rows": rows, "tiers": tiers, "editing": editing,
            "form": _as_sent(form) if form is not None else _form_of(editing, event.timezone),
            "errors": errors, "all_phones": phones.get(None, 0),
        },
        status_code=400 if errors else 200,
        headers=NO_STORE,
    )  # fmt: skip
