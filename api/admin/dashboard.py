"""The organizer dashboard's first pages: events with live figures, and the orders CSV.

Figures come from the database in one grouped query per page, not from Python loops over rows;
the CSV is streamed from a server-side cursor so 100,000 orders never sit in memory at once
(the table and the streaming are shared with the full export, in `api.admin.exports`).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Stream, Template
from sqlalchemy import String, cast, func, select

from api import audit
from api.admin.access import Who, sales_organizers, visible_organizers
from api.admin.exports import csv_response
from api.admin.figures import event_money
from api.db import Event, Order, OutboxMessage, Scan
from api.events.services import events_with_tiers
from api.web.deps import DB
from api.web.security import NO_STORE

ORDER_MAIL_KINDS = ["order_confirmation", "refund_notice", "resend_tickets"]


class Dashboard(Controller):
    path = "/"

    @get("/")
    async def home(self, db: DB, who: Who) -> Template:
        organizers = await visible_organizers(db, who)
        ids = [o.id for o in organizers]
        listed = await events_with_tiers(db, organizer_ids=ids)
        events = [event for event, _ in listed]
        tiers = [tier for _, event_tiers in listed for tier in event_tiers]
        checked_in = dict(
            (
                await db.execute(
                    select(Scan.event_id, func.count(func.distinct(Scan.pass_key)))
                    .where(Scan.event_id.in_([e.id for e in events]), Scan.admitted)
                    .group_by(Scan.event_id)
                )
            ).all()
        )
        money = await event_money(db, [e.id for e in events])
        return Template(
            template_name="admin/home.html",
            context={
                "who": who.who,
                "owner_ids": who.owner_ids,
                "organizers": organizers,
                "events": events,
                "tiers": tiers,
                "checked_in": checked_in,
                "money": money,
                "may_export": who.organizer_ids is None or bool(who.money_ids),
                "money_ids": None if who.organizer_ids is None else who.money_ids or frozenset(),
            },
            headers=NO_STORE,
        )

    @get("/outbox")
    async def outbox(self, db: DB, who: Who) -> Template:
        """Messages not sent yet (or kept: no mail provider configured), for the viewer's
        organizers. Sign-in links are never shown here: they would let staff sign in as buyers."""
        ids = [o.id for o in await sales_organizers(db, who)]
        order_id = OutboxMessage.payload["order_id"].astext
        rows = list(
            await db.scalars(
                select(OutboxMessage)
                .join(Order, cast(Order.id, String) == order_id)
                .join(Event, Event.id == Order.event_id)
                .where(
                    Event.organizer_id.in_(ids),
                    OutboxMessage.kind.in_(ORDER_MAIL_KINDS),
                    OutboxMessage.status.in_(["pending", "kept", "failed"]),
                )
                .order_by(OutboxMessage.created_at.desc())
                .limit(200)
            )
        )
        return Template(
            template_name="admin/outbox.html",
            context={"who": who.who, "rows": rows},
            headers=NO_STORE,
        )

    @get("/orders.csv")
    async def orders_csv(self, request: Request[Any, Any, Any], db: DB, who: Who) -> Stream:
        ids = [o.id for o in await sales_organizers(db, who)]
        # One entry per organizer, as every export: each owner's audit shows who took its orders.
        for organizer_id in ids:
            audit.record(db, organizer_id=organizer_id, actor=who.who, action="export.orders")
        await db.commit()
        return csv_response(request.app.state.sessions, "orders", ids, "orders.csv")
