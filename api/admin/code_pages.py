"""Codes, for organizers: an event's discount and access codes with their uses so far, the form
to add or change one, switching one off and on, and which tiers are hidden (shown and sold only
with a code that unlocks them). The rules are api/checkout/code_editing.py's and codes.py's.

Owners and managers (and the operator) only, like the event's tiers (`money_handlers`): a code
is money off. Another organizer's event or code is a 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin import event_forms
from api.admin.access import Who, money_handlers
from api.admin.deps import ThisEvent
from api.checkout import code_editing
from api.checkout.codes import FORMAT, normalize
from api.db import Code, DiscountKind, Event, TicketTier
from api.errors import Invalid
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE

FormData = Mapping[str, str | list[str]]
CodeForm = URLEncodedBody[dict[str, str | list[str]]]


class CodePages(Controller):
    path = "/events/{event_id:uuid}/codes"
    guards = [money_handlers]

    @get("/")
    async def codes(self, db: DB, settings: AppSettings, event: ThisEvent) -> Template:
        return await _page(db, settings.platform_currency, event, editing=None, form=None)

    @post("/", status_code=303)
    async def create(
        self, db: DB, who: Who, settings: AppSettings, event: ThisEvent, data: CodeForm
    ) -> Template | Redirect:
        return await _save(db, who.who, settings.platform_currency, event, data, code_id=None)

    @get("/{code_id:uuid}")
    async def edit(
        self, db: DB, settings: AppSettings, event: ThisEvent, code_id: FromPath[uuid.UUID]
    ) -> Template:
        item = await code_editing.one_code(db, event=event, code_id=code_id)
        return await _page(db, settings.platform_currency, event, editing=item, form=None)

    @post("/{code_id:uuid}", status_code=303)
    async def save(
        self, db: DB, who: Who, settings: AppSettings, event: ThisEvent,
        code_id: FromPath[uuid.UUID], data: CodeForm,
    ) -> Template | Redirect:  # fmt: skip
        await code_editing.one_code(db, event=event, code_id=code_id)
        return await _save(db, who.who, settings.platform_currency, event, data, code_id=code_id)

    @post("/{code_id:uuid}/deactivate", status_code=303)
    async def deactivate(
        self, db: DB, who: Who, event: ThisEvent, code_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await code_editing.set_active(db, event=event, code_id=code_id, active=False, actor=who.who)
        await db.commit()
        return _back(event, "deactivated")

    @post("/{code_id:uuid}/activate", status_code=303)
    async def activate(
        self, db: DB, who: Who, event: ThisEvent, code_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await code_editing.set_active(db, event=event, code_id=code_id, active=True, actor=who.who)
        await db.commit()
        return _back(event, "activated")

    @post("/hidden-tiers", status_code=303)
    async def hidden_tiers(self, db: DB, who: Who, event: ThisEvent, data: CodeForm) -> Redirect:
        ticked = data.get("hidden", [])
        names = [ticked] if isinstance(ticked, str) else list(ticked)
        await code_editing.set_hidden_tiers(db, event=event, hidden=names, actor=who.who)
        await db.commit()
        return _back(event, "hidden")


def _back(event: Event, what: str) -> Redirect:
    return Redirect(path=f"/admin/events/{event.id}/codes?{what}=1", status_code=303)


async def _save(
    db: AsyncSession, actor: str, fallback: str, event: Event, data: FormData,
    *, code_id: uuid.UUID | None,
) -> Template | Redirect:  # fmt: skip
    tiers = await _tiers(db, event)
    currency = code_editing.event_currency(event, tiers, fallback)
    try:
        fields = read_code(data, zone=event.timezone, currency=currency, tiers=tiers)
        await code_editing.save_code(db, event=event, fields=fields, actor=actor, code_id=code_id)
    except Invalid as exc:
        await db.rollback()
        await db.refresh(event)  # as stored: the refused save changed nothing
        editing = await code_editing.one_code(db, event=event, code_id=code_id) if code_id else None
        return await _page(db, fallback, event, editing=editing, form=data, errors=exc.messages)
    await db.commit()
    return _back(event, "saved")


def read_code(
    data: FormData, *, zone: str, currency: str, tiers: Sequence[TicketTier]
) -> code_editing.CodeFields:
    """The form's fields, checked; an Invalid with every problem otherwise."""

    def one(key: str) -> str:
        value = data.get(key, "")
        return (value if isinstance(value, str) else value[-1] if value else "").strip()

    problems: list[str] = []
    code = normalize(one("code"))
    if not FORMAT.fullmatch(code):
        problems.append(
            "A code is 1 to 40 letters, digits, dashes or underscores, starting with a letter"
            " or digit (buyers may type it in any case)."
        )
    kind_text = one("kind") or DiscountKind.none
    kind = DiscountKind(kind_text) if kind_text in DiscountKind.__members__ else None
    value = 0
    if kind is None:
        problems.append("Choose what the code gives: a percentage off, an amount off, or access.")
        kind = DiscountKind.none
    elif kind == DiscountKind.percent:
        raw = one("percent")
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= 100):
            problems.append("The percentage off is a whole number from 1 to 100.")
        else:
            value = int(raw)
    elif kind == DiscountKind.amount:
        found: list[str] = []
        minor = event_forms._price(one("amount"), currency, found)
        if found or minor is None or minor < 1:
            problems.append(f"The amount off is a number such as 5 or 5.00 ({currency}).")
        else:
            value = minor
    tier_ids = _chosen(data, tiers, problems) if one("applies") == "chosen" else None
    max_uses = None
    if raw := one("max_uses"):
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 7 and int(raw) >= 1):
            problems.append("The limit is a whole number of orders (empty: no limit).")
        else:
            max_uses = int(raw)
    starts_at, ends_at = event_forms._span(
        {k: one(k) for k in ("starts_at", "ends_at")}, ("starts_at", "Valid from"),
        ("ends_at", "Valid until"), zone, problems, required=False,
        backwards="A code must stop being valid after it starts.",
    )  # fmt: skip
    if problems:
        raise Invalid(*problems)
    return code_editing.CodeFields(code, kind, value, tier_ids, max_uses, starts_at, ends_at)


def _chosen(data: FormData, tiers: Sequence[TicketTier], problems: list[str]) -> list[uuid.UUID]:
    ticked = data.get("tier", [])
    raw_ids = [ticked] if isinstance(ticked, str) else list(ticked)
    known = {str(tier.id): tier.id for tier in tiers}
    chosen = [known[raw] for raw in raw_ids if raw in known]
    if len(chosen) != len(raw_ids):
        problems.append("A tier chosen for this code is not one of this event's.")
    elif not chosen:
        problems.append("Tick the tiers the code is for (or choose every tier).")
    return chosen


async def _tiers(db: AsyncSession, event: Event) -> list[TicketTier]:
    query = select(TicketTier).where(TicketTier.event_id == event.id)
    return list(await db.scalars(query.order_by(TicketTier.position, TicketTier.created_at)))


def _form_of(item: Code | None, zone: str, currency: str) -> dict[str, Any]:
    if item is None:
        return {"code": "", "kind": "percent", "percent": "", "amount": "", "applies": "every",
                "tier": [], "max_uses": "", "starts_at": "", "ends_at": ""}  # fmt: skip
    return {
        "code": item.code, "kind": item.kind,
        "percent": str(item.value) if item.kind == DiscountKind.percent else "",
        "amount": event_forms.price_input(item.value, currency)
        if item.kind == DiscountKind.amount else "",
        "applies": "every" if item.tier_ids is None else "chosen",
        "tier": [str(t) for t in item.tier_ids or []],
        "max_uses": str(item.max_uses) if item.max_uses is not None else "",
        "starts_at": event_forms.local_input(item.starts_at, zone),
        "ends_at": event_forms.local_input(item.ends_at, zone),
    }  # fmt: skip


def _as_sent(data: FormData) -> dict[str, Any]:
    ticked = data.get("tier", [])
    return {**data, "tier": [ticked] if isinstance(ticked, str) else list(ticked)}


async def _page(
    db: AsyncSession, fallback: str, event: Event, *, editing: Code | None,
    form: FormData | None, errors: Sequence[str] = (),
) -> Template:  # fmt: skip
    tiers = await _tiers(db, event)
    currency = code_editing.event_currency(event, tiers, fallback)
    names = {tier.id: tier.name for tier in tiers}
    rows = [
        {
            "code": item,
            "tiers": "Every tier" if item.tier_ids is None
            else ", ".join(names[t] for t in item.tier_ids if t in names),
        }
        for item in await code_editing.event_codes(db, event_id=event.id)
    ]  # fmt: skip
    return Template(
        template_name="admin/codes.html",
        context={
            "event": event, "rows": rows, "tiers": tiers, "editing": editing,
            "currency": currency, "errors": list(errors),
            "form": _as_sent(form) if form is not None
            else _form_of(editing, event.timezone, currency),
        },
        status_code=400 if errors else 200,
        headers=NO_STORE,
    )  # fmt: skip
