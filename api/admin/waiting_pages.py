"""An event's waiting lists, for organizers (issue 17, "Waiting list").

One section per tier: its entries in line order with their status (waiting, offered until…,
claimed with the order, expired, removed), "Offer now" for a waiting entry (ahead of its turn,
if the seats are free), "Remove" (an offer it held passes down the list), and how long the
tier's offers hold their seats. Buyer emails are on it, so only owners and managers (and the
operator) see it (`money_handlers`). The rules are `api.waiting.offers`'s; each action is
audited.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Stream, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.admin.access import Who, money_handlers
from api.admin.csvfile import BOM, csv_download, encode
from api.admin.deps import ThisEvent
from api.db import Event, Order, TicketTier, WaitingEntry
from api.waiting import offers
from api.web.deps import DB
from api.web.security import NO_STORE

Form = URLEncodedBody[dict[str, str]]


class WaitingListPages(Controller):
    path = "/events/{event_id:uuid}/waiting-list"
    guards = [money_handlers]

    @get("/")
    async def lists(self, db: DB, event: ThisEvent, done: FromQuery[str | None] = None) -> Template:
        return await _page(db, event, notice=_NOTICES.get(done or ""), error=None)

    @get("/entries.csv")
    async def entries_csv(self, db: DB, event: ThisEvent) -> Stream:
        """Every entry of the event's lists, in line order per tier (the organizer's data)."""
        rows = (
            await db.execute(
                select(TicketTier.name, WaitingEntry, Order.public_id)
                .join(TicketTier, TicketTier.id == WaitingEntry.tier_id)
                .outerjoin(Order, Order.id == WaitingEntry.order_id)
                .where(WaitingEntry.event_id == event.id)
                .order_by(TicketTier.position, WaitingEntry.created_at, WaitingEntry.id)
            )
        ).all()
        header = ["tier", "email", "name", "quantity", "joined_at", "status", "offered_at",
                  "offer_expires_at", "offered_by", "order", "ended_at"]  # fmt: skip

        def when(value: Any) -> str:
            return value.isoformat() if value is not None else ""

        lines = [
            [tier, e.email, e.name, e.quantity, when(e.created_at), e.status, when(e.offered_at),
             when(e.offer_expires_at), e.offered_by or "", public_id or "", when(e.ended_at)]
            for tier, e, public_id in rows
        ]  # fmt: skip

        async def chunks() -> AsyncIterator[bytes]:
            yield BOM + encode([header, *lines])

        return csv_download(chunks(), f"waiting-list-{event.slug}.csv")

    @post("/{entry_id:uuid}/remove", status_code=303)
    async def remove(
        self, db: DB, who: Who, event: ThisEvent, entry_id: FromPath[uuid.UUID]
    ) -> Any:
        return await _act(db, who.who, event, entry_id, "remove")

    @post("/{entry_id:uuid}/offer", status_code=303)
    async def offer(self, db: DB, who: Who, event: ThisEvent, entry_id: FromPath[uuid.UUID]) -> Any:
        return await _act(db, who.who, event, entry_id, "offer")

    @post("/tiers/{tier_id:uuid}", status_code=303)
    async def tier_settings(
        self, db: DB, who: Who, event: ThisEvent, tier_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Any:  # fmt: skip
        tier = await db.get(TicketTier, tier_id)
        if tier is None or tier.event_id != event.id:
            return await _page(db, event, notice=None, error="No such tier.", status=404)
        raw = (data.get("offer_hours") or "").strip()
        try:
            hours = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else -1
            await offers.save_settings(
                db, tier_id=tier.id, offer_hours=hours, open_=data.get("open") == "yes"
            )
        except offers.OfferRefused as exc:
            await db.rollback()
            return await _page(db, event, notice=None, error=str(exc), status=400)
        audit.record(
            db, organizer_id=event.organizer_id, actor=who.who, action="waiting_list.settings",
            target=str(tier.id), details={"tier": tier.name, "offer_hours": hours,
                                          "open": data.get("open") == "yes"},
        )  # fmt: skip
        await db.commit()
        return Redirect(path=_here(event, "saved"), status_code=303)


_NOTICES = {
    "removed": "Removed from the list. Seats it was offered went to the next in line.",
    "offered": "Offered: the seats are held for them and the email is on its way.",
    "saved": "Saved.",
}


def _here(event: Event, done: str) -> str:
    return f"/admin/events/{event.id}/waiting-list?done={done}"


async def _act(db: AsyncSession, actor: str, event: Event, entry_id: uuid.UUID, action: str) -> Any:
    entry = await db.get(WaitingEntry, entry_id)
    if entry is None or entry.event_id != event.id:
        return await _page(db, event, notice=None, error="No such entry.", status=404)
    tier_id, email, organizer_id, event_id = (
        entry.tier_id,
        entry.email,
        event.organizer_id,
        event.id,
    )
    await db.rollback()  # the reads end: the action is one transaction, tier row first
    try:
        if action == "remove":
            await offers.remove(db, entry_id=entry_id, tier_id=tier_id)
        else:
            await offers.offer_now(db, entry_id=entry_id, tier_id=tier_id, actor=actor)
    except offers.OfferRefused as exc:
        await db.rollback()
        return await _page(db, event, notice=None, error=str(exc), status=400)
    audit.record(
        db, organizer_id=organizer_id, actor=actor,
        action="waiting_list.removed" if action == "remove" else "waiting_list.offered",
        target=str(entry_id), details={"email": email},
    )  # fmt: skip
    await db.commit()
    done = "removed" if action == "remove" else "offered"
    return Redirect(path=f"/admin/events/{event_id}/waiting-list?done={done}", status_code=303)


async def _page(
    db: AsyncSession, event: Event, *, notice: str | None, error: str | None, status: int = 200
) -> Template:
    await db.refresh(event)  # a refused action rolled back, which expired it
    tiers = list(
        await db.scalars(
            select(TicketTier)
            .where(TicketTier.event_id == event.id)
            .order_by(TicketTier.position)
            .execution_options(populate_existing=True)
        )
    )
    rows = (
        await db.execute(
            select(WaitingEntry, Order.public_id)
            .outerjoin(Order, Order.id == WaitingEntry.order_id)
            .where(WaitingEntry.event_id == event.id)
            .order_by(WaitingEntry.created_at, WaitingEntry.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    sections = []
    for tier in tiers:
        entries = [(entry, public_id) for entry, public_id in rows if entry.tier_id == tier.id]
        line = [entry for entry, _ in entries if entry.status == "waiting"]
        sections.append({
            "tier": tier,
            "entries": entries,
            "waiting": len(line),
            "waiting_seats": sum(entry.quantity for entry in line),
            "offered_seats": sum(e.quantity for e, _ in entries if e.status == "offered"),
            "settings": await offers.settings_of(db, tier_id=tier.id),
            "position": {entry.id: n for n, entry in enumerate(line, start=1)},
        })  # fmt: skip
    return Template(
        template_name="admin/waiting_list.html",
        context={"event": event, "sections": sections, "notice": notice, "error": error},
        status_code=status,
        headers=NO_STORE,
    )
