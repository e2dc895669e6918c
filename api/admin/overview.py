"""An event at a glance (`/admin/events/{id}/overview`, after Hi.Events' event dashboard): sales
per tier (sold against capacity, what each tier took), the event's money (`figures.event_money`),
the door (scanned, inside now: the live door's own figures, `live.live_figures`), and every
action on the event one click away, each shown only to those whose role opens it.
`/admin/door` lists each event's door pages (the door leads' way in), `/admin/exports` the
reports and CSV files (owners and managers).

Other parts of the dashboard add pages under the event (codes, questions, the waiting list...):
`ACTIONS` names the ones known, and the page offers those the app serves, so a link never leads
to a 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Viewer, Who, money_handlers, sales_organizers, visible_organizers
from api.admin.deps import ThisEvent
from api.admin.figures import Money, event_money
from api.admin.live import LiveFigures, live_figures
from api.db import Event, Order, OrderLine, OrderStatus, Scan, TicketTier
from api.web.deps import DB
from api.web.security import NO_STORE


@dataclass(frozen=True)
class Action:
    group: str
    label: str
    path: str
    """Under `/admin/events/{event_id}`; "" is the event's edit page; "/…" after it."""
    sales: bool = True
    """Only owners and managers (and the operator): it shows buyers or changes the event."""
    owners: bool = False
    """Only the organizer's owners (and the operator)."""
    drafts: bool = False
    """Only while the event is a draft."""


ACTIONS: tuple[Action, ...] = (
    Action("Event", "Edit the event and tiers", ""),
    Action("Event", "Add a tier", "/tiers/new"),
    Action("Event", "Discount and access codes", "/codes"),
    Action("Event", "Attendee names and questions", "/attendee-details"),
    Action("Event", "Transfers and cancellations by buyers", "/self-service"),
    Action("Event", "Delete this draft", "/delete", drafts=True),
    Action("Event", "Cancel the event", "/cancel", owners=True),
    Action("Buyers", "Orders", "?orders"),
    Action("Buyers", "Waiting list", "/waiting-list"),
    Action("Buyers", "Comps and guest list", "/comps"),
    Action("Buyers", "Partner sites that sell it", "/partners"),
    Action("Buyers", "Email ticket holders", "/message"),
    Action("Buyers", "Attendees (CSV)", "/attendees.csv"),
    Action("Door", "The door, live", "/door", sales=False),
    Action("Door", "Door lists", "/door-lists", sales=False),
    Action("Door", "Pair door phones", "/devices", sales=False),
    Action("Door", "Double admissions", "/conflicts", sales=False),
    Action("Reports", "Sales and check-in charts", "/reports"),
    Action("Reports", "Scans (CSV)", "/scans.csv", sales=False),
)
"""In the order the page shows them; "?orders" is the orders list of the event."""


@dataclass(frozen=True)
class ActionLink:
    label: str
    href: str


def _served(request: Request[Any, Any, Any]) -> set[str]:
    """The app's GET addresses under an event, as `/…` after `/admin/events/{event_id:uuid}`."""
    found: set[str] | None = request.app.state.get("_event_pages")  # once per app
    if found is None:
        prefix = "/admin/events/{event_id:uuid}"
        found = {
            route.path.removeprefix(prefix).rstrip("/")
            for route in request.app.routes
            if route.path.startswith(prefix) and "GET" in getattr(route, "methods", ())
        }
        request.app.state["_event_pages"] = found
    return found


def event_actions(
    request: Request[Any, Any, Any], who: Viewer, event: Event
) -> list[tuple[str, list[ActionLink]]]:
    """The actions this viewer may take on the event, among the pages the app serves, by
    group in `ACTIONS`' order."""
    served = _served(request) | {"", "?orders"}
    grouped: dict[str, list[ActionLink]] = {}
    for action in ACTIONS:
        if (
            action.path not in served
            or (action.sales and not who.may_handle_money(event.organizer_id))
            or (action.owners and not who.may_manage(event.organizer_id))
            or (action.drafts and event.published)
        ):
            continue
        href = f"/admin/events/{event.id}{action.path}"
        if action.path == "?orders":
            href = f"/admin/orders/?event={event.id}"
        grouped.setdefault(action.group, []).append(ActionLink(action.label, href))
    return list(grouped.items())


@dataclass(frozen=True)
class TierSales:
    tier: TicketTier
    revenue: int
    """What its sold orders paid for it (before refunds), in the event's minor unit."""

    @property
    def left(self) -> int:
        return max(self.tier.capacity - self.tier.sold - self.tier.held, 0)


async def tier_sales(db: AsyncSession, event: Event) -> list[TierSales]:
    tiers = list(
        await db.scalars(
            select(TicketTier)
            .where(TicketTier.event_id == event.id)
            .order_by(TicketTier.position, TicketTier.name)
        )
    )
    revenue = dict(
        (
            await db.execute(
                select(OrderLine.tier_id, func.sum(OrderLine.quantity * OrderLine.unit_price_minor))
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.event_id == event.id, Order.status.in_(OrderStatus.sold()))
                .group_by(OrderLine.tier_id)
            )
        ).all()
    )
    return [TierSales(tier=t, revenue=int(revenue.get(t.id) or 0)) for t in tiers]


class EventOverview(Controller):
    """Everyone who may see the event (door leads see the door, not sales or money)."""

    path = "/"

    @get("/events/{event_id:uuid}/overview")
    async def overview(
        self, request: Request[Any, Any, Any], db: DB, who: Who, event: ThisEvent
    ) -> Template:
        sales = who.may_handle_money(event.organizer_id)
        door: LiveFigures = await live_figures(db, event)
        money: Money | None = None
        if sales:
            money = (await event_money(db, [event.id])).get(event.id)
        return Template(
            template_name="admin/event_overview.html",
            context={
                "event": event,
                "sales": sales,
                "tiers": await tier_sales(db, event),
                "money": money,
                "door": door,
                "scanned": {t.name: t.checked_in for t in door.tiers},
                "actions": event_actions(request, who, event),
            },
            headers=NO_STORE,
        )

    @get("/door")
    async def door(self, db: DB, who: Who) -> Template:
        """Each event's door pages, soonest first, with who is checked in."""
        ids = [o.id for o in await visible_organizers(db, who)]
        events = list(
            await db.scalars(
                select(Event).where(Event.organizer_id.in_(ids)).order_by(Event.starts_at)
            )
        )
        return Template(
            template_name="admin/door_index.html",
            context={"events": events, "checked_in": await checked_in(db, [e.id for e in events])},
            headers=NO_STORE,
        )

    @get("/exports", guards=[money_handlers])
    async def reports(self, request: Request[Any, Any, Any], db: DB, who: Who) -> Template:
        """Reports and exports: the CSV files, and each event's reports where the app has them."""
        ids = [o.id for o in await sales_organizers(db, who)]
        events = list(
            await db.scalars(
                select(Event).where(Event.organizer_id.in_(ids)).order_by(Event.starts_at)
            )
        )
        served = _served(request)
        return Template(
            template_name="admin/reports.html",
            context={
                "events": events,
                "event_reports": "/reports" in served,
                "operator": who.is_operator,
            },
            headers=NO_STORE,
        )


async def checked_in(db: AsyncSession, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Passes admitted at least once, per event."""
    rows = await db.execute(
        select(Scan.event_id, func.count(func.distinct(Scan.pass_key)))
        .where(Scan.event_id.in_(event_ids), Scan.admitted)
        .group_by(Scan.event_id)
    )
    return {event_id: int(n) for event_id, n in rows.all()}
