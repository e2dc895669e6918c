"""Attendee details, for organizers: whether each ticket's attendee name is asked (off, optional,
required), the event's questions (text, a choice, a checkbox; for every tier or the ticked ones;
required or not; in order), and the attendees CSV with a column per question.

Owners and managers (and the operator) only, like the event's other settings (`money_handlers`):
a door lead gets a 403. The rules are api/events/questions.py's; forms that cannot be saved come
back with status 400 and every reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Stream, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.admin.access import Who, money_handlers
from api.admin.attendee_export import attendee_csv
from api.admin.csvfile import csv_download
from api.admin.deps import ThisEvent
from api.checkout.attendees import questions as event_questions
from api.db import AttendeeQuestion, Event, TicketTier
from api.errors import Invalid
from api.events import questions
from api.web.deps import DB
from api.web.security import NO_STORE

Form = URLEncodedBody[dict[str, str | list[str]]]
KIND_NAMES = {"text": "Text", "choice": "Choice", "checkbox": "Checkbox"}


class QuestionPages(Controller):
    path = "/events/{event_id:uuid}"
    guards = [money_handlers]

    @get("/attendee-details")
    async def page(self, db: DB, event: ThisEvent) -> Template:
        return await _page(db, event, editing=None, form=None, errors=[])

    @post("/attendee-details/names", status_code=303)
    async def names(self, db: DB, who: Who, event: ThisEvent, data: Form) -> Any:
        names = data.get("names", "")
        try:
            await questions.set_names(
                db, event=event, names=names if isinstance(names, str) else "", actor=who.who
            )
        except Invalid as exc:
            await db.rollback()
            await db.refresh(event)  # as stored: the refused setting changed nothing
            return await _page(db, event, editing=None, form=None, errors=exc.messages)
        return _back(event, "names")

    @post("/attendee-details", status_code=303)
    async def add(self, db: DB, who: Who, event: ThisEvent, data: Form) -> Any:
        return await _save(db, who.who, event, data, question_id=None)

    @get("/attendee-details/{question_id:uuid}")
    async def edit(self, db: DB, event: ThisEvent, question_id: FromPath[uuid.UUID]) -> Template:
        question = await questions.one(db, event=event, question_id=question_id)
        return await _page(db, event, editing=question, form=None, errors=[])

    @post("/attendee-details/{question_id:uuid}", status_code=303)
    async def change(
        self, db: DB, who: Who, event: ThisEvent, question_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        await questions.one(db, event=event, question_id=question_id)
        return await _save(db, who.who, event, data, question_id=question_id)

    @post("/attendee-details/{question_id:uuid}/delete", status_code=303)
    async def delete(
        self, db: DB, who: Who, event: ThisEvent, question_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await questions.delete_question(db, event=event, question_id=question_id, actor=who.who)
        return _back(event, "deleted")

    @post("/attendee-details/{question_id:uuid}/move", status_code=303)
    async def move(
        self, db: DB, event: ThisEvent, question_id: FromPath[uuid.UUID], data: Form
    ) -> Redirect:
        up = data.get("direction") == "up"
        await questions.move_question(db, event=event, question_id=question_id, up=up)
        return _back(event, "moved")

    @get("/attendees.csv")
    async def attendees_csv(
        self, request: Request[Any, Any, Any], db: DB, who: Who, event: ThisEvent
    ) -> Stream:
        audit.record(
            db, organizer_id=event.organizer_id, actor=who.who, action="export.attendees",
            target=str(event.id),
        )  # fmt: skip
        await db.commit()
        chunks = attendee_csv(request.app.state.sessions, event_id=event.id)
        return csv_download(chunks, f"attendees-{event.slug}.csv")


def _back(event: Event, what: str) -> Redirect:
    return Redirect(path=f"/admin/events/{event.id}/attendee-details?saved={what}", status_code=303)


async def _tiers(db: AsyncSession, event: Event) -> list[TicketTier]:
    rows = await db.scalars(
        select(TicketTier).where(TicketTier.event_id == event.id).order_by(TicketTier.position)
    )
    return list(rows)


async def _save(
    db: AsyncSession, actor: str, event: Event, data: Mapping[str, str | list[str]],
    *, question_id: uuid.UUID | None,
) -> Template | Redirect:  # fmt: skip
    try:
        fields = questions.read_question(data, tiers=await _tiers(db, event))
        await questions.save_question(
            db, event=event, fields=fields, actor=actor, question_id=question_id
        )
    except Invalid as exc:
        await db.rollback()
        await db.refresh(event)
        editing = (
            await questions.one(db, event=event, question_id=question_id) if question_id else None
        )
        return await _page(db, event, editing=editing, form=data, errors=exc.messages)
    return _back(event, "question")


def _form_of(question: AttendeeQuestion | None) -> dict[str, Any]:
    if question is None:
        return {"label": "", "kind": "text", "options": "", "required": "", "asked_for": "every",
                "tier": []}  # fmt: skip
    return {
        "label": question.label, "kind": question.kind, "options": "\n".join(question.options),
        "required": "yes" if question.required else "",
        "asked_for": "every" if question.tier_ids is None else "chosen",
        "tier": [str(t) for t in question.tier_ids or []],
    }  # fmt: skip


def _as_sent(data: Mapping[str, str | list[str]]) -> dict[str, Any]:
    ticked = data.get("tier", [])
    return {**data, "tier": [ticked] if isinstance(ticked, str) else list(ticked)}


async def _page(
    db: AsyncSession, event: Event, *, editing: AttendeeQuestion | None,
    form: Mapping[str, str | list[str]] | None, errors: list[str],
) -> Template:  # fmt: skip
    tiers = await _tiers(db, event)
    names = {tier.id: tier.name for tier in tiers}
    rows = [
        {
            "question": q,
            "kind": KIND_NAMES.get(q.kind, q.kind),
            "tiers": "Every tier" if q.tier_ids is None
            else ", ".join(names[t] for t in q.tier_ids if t in names) or "No tier",
        }
        for q in await event_questions(db, event_id=event.id)
    ]  # fmt: skip
    return Template(
        template_name="admin/attendee_details.html",
        context={
            "event": event, "rows": rows, "tiers": tiers, "editing": editing,
            "form": _as_sent(form) if form is not None else _form_of(editing),
            "errors": errors,
        },
        status_code=400 if errors else 200,
        headers=NO_STORE,
    )  # fmt: skip
