"""An event's reports page (/admin/events/{id}/reports) and the CSV behind each chart.

Owners and managers (and the operator) only, like every page with money on it
(`money_handlers`). The page is plain HTML with inline SVG (`api.admin.charts`), so the
dashboard's service worker keeps it like any other dashboard page (pwa/sw.js: network first,
the last copy shown offline with its age); the CSVs are downloads, never kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream, Template

from api.admin import charts
from api.admin.access import money_handlers
from api.admin.csvfile import BOM, csv_download, encode
from api.admin.deps import ThisEvent
from api.admin.reports import EventReport, Series, event_report, label
from api.formatting import money
from api.partners.services import sales_by_partner
from api.web.deps import DB
from api.web.security import NO_STORE

COLORS = {"net": "#0b5fff", "fee": "#f59e0b", "returned": "#b00020", "tickets": "#0b5fff",
          "checked_in": "#0a7d28", "doors": "#0a7d28"}  # fmt: skip


class EventReports(Controller):
    path = "/events/{event_id:uuid}/reports"
    guards = [money_handlers]

    @get("/")
    async def reports(self, db: DB, event: ThisEvent) -> Template:
        report = await event_report(db, event=event)
        return Template(
            template_name="admin/event_reports.html",
            context={
                "event": event,
                "report": report,
                "bucket_label": label,
                "partner_sales": await sales_by_partner(db, event_id=event.id),
                **_charts(report, event.name),
            },
            headers=NO_STORE,
        )

    @get("/{name:str}")
    async def report_csv(self, db: DB, event: ThisEvent, name: FromPath[str]) -> Stream:
        table = CSV_TABLES.get(name.removesuffix(".csv")) if name.endswith(".csv") else None
        if table is None:
            raise NotFoundException(
                detail="No such report: sales.csv, revenue.csv, checkins.csv, doors.csv or"
                " codes.csv."
            )
        report = await event_report(db, event=event)
        rows = table(report)

        async def chunks() -> AsyncIterator[bytes]:
            yield BOM + encode(rows)

        return csv_download(chunks(), f"{name.removesuffix('.csv')}-{event.slug}.csv")


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _sales_rows(report: EventReport) -> list[list[Any]]:
    rows: list[list[Any]] = [["period_start", "period_label", "tickets", "orders"]]
    for b in report.sales.buckets:
        rows.append([_when(b.start), label(b), b.get("tickets"), b.get("orders")])
    return rows


def _revenue_rows(report: EventReport) -> list[list[Any]]:
    rows: list[list[Any]] = [[
        "period_start", "period_label", "currency", "gross_minor", "platform_fee_minor",
        "refunded_minor", "disputed_minor", "net_minor",
    ]]  # fmt: skip
    for b in report.revenue.buckets:
        rows.append([
            _when(b.start), label(b), report.currency, b.get("gross"), b.get("fee"),
            b.get("refunds"), b.get("disputed"), b.get("net"),
        ])  # fmt: skip
    return rows


def _checkin_rows(report: EventReport) -> list[list[Any]]:
    rows: list[list[Any]] = [["period_start", "period_label", "checked_in"]]
    for b in report.checkins.buckets:
        rows.append([_when(b.start), label(b), b.get("checked_in")])
    return rows


def _door_rows(report: EventReport) -> list[list[Any]]:
    return [["door", "checked_in_first_here"], *([door, n] for door, n in report.doors)]


def _code_rows(report: EventReport) -> list[list[Any]]:
    rows: list[list[Any]] = [[
        "code", "gives", "active", "max_uses", "uses", "tickets", "currency", "discount_minor",
        "revenue_minor", "net_minor",
    ]]  # fmt: skip
    for c in report.codes:
        rows.append([
            c.code, c.gives, "yes" if c.active else "no", "" if c.max_uses is None else c.max_uses,
            c.uses, c.tickets, report.currency, c.discount, c.revenue, c.net,
        ])  # fmt: skip
    return rows


CSV_TABLES: dict[str, Callable[[EventReport], list[list[Any]]]] = {
    "sales": _sales_rows,
    "revenue": _revenue_rows,
    "checkins": _checkin_rows,
    "doors": _door_rows,
    "codes": _code_rows,
}


def _span(series: Series) -> str:
    if not series.buckets:
        return ""
    return f"from {label(series.buckets[0])} to {label(series.buckets[-1])}"


def _peak(series: Series, key: str, text: Callable[[int], str] = str) -> str:
    if not series.buckets:
        return ""
    best = max(series.buckets, key=lambda b: b.get(key))
    return f"; the most, {text(best.get(key))}, in {label(best)}"


def _charts(report: EventReport, name: str) -> dict[str, Any]:
    """The page's four charts (None where there is nothing to draw yet)."""
    cur = report.currency

    def cash(minor: int) -> str:
        return money(minor, cur)

    sales, revenue, checkins = report.sales, report.revenue, report.checkins
    labels = [label(b) for b in sales.buckets]
    found: dict[str, Any] = {"sales_chart": None, "revenue_chart": None,
                             "checkins_chart": None, "doors_chart": None}  # fmt: skip
    if sales.buckets:
        found["sales_chart"] = charts.column_chart(
            chart_id="chart-sales",
            title=f"Tickets sold over time, {name}",
            description=f"{sales.total('tickets')} tickets in {sales.total('orders')} orders "
            f"{_span(sales)}{_peak(sales, 'tickets')}.",
            labels=labels,
            parts=[charts.Part("Tickets", [b.get("tickets") for b in sales.buckets],
                               COLORS["tickets"])],
        )  # fmt: skip
    if revenue.buckets and revenue.total("gross"):
        returned = [b.get("refunds") + b.get("disputed") for b in revenue.buckets]
        found["revenue_chart"] = charts.column_chart(
            chart_id="chart-revenue",
            title=f"Revenue over time, {name}",
            description=f"{cash(revenue.total('gross'))} taken {_span(revenue)}: "
            f"{cash(revenue.total('net'))} net of the platform fee "
            f"({cash(revenue.total('fee'))}) and of refunds and disputes "
            f"({cash(sum(returned))}), what reaches the organizer's Stripe account (Stripe's "
            "processing fee is the platform's to pay on a destination charge).",
            labels=[label(b) for b in revenue.buckets],
            parts=[
                charts.Part("Net", [b.get("net") for b in revenue.buckets], COLORS["net"]),
                charts.Part("Platform fee", [b.get("fee") for b in revenue.buckets],
                            COLORS["fee"]),
                charts.Part("Refunded or disputed", returned, COLORS["returned"]),
            ],
            value_text=cash,
        )  # fmt: skip
    if checkins.buckets:
        found["checkins_chart"] = charts.column_chart(
            chart_id="chart-checkins",
            title=f"Check-ins over time, {name}",
            description=f"{checkins.total('checked_in')} guests checked in "
            f"{_span(checkins)}{_peak(checkins, 'checked_in')}.",
            labels=[label(b) for b in checkins.buckets],
            parts=[charts.Part("Checked in", [b.get("checked_in") for b in checkins.buckets],
                               COLORS["checked_in"])],
        )  # fmt: skip
    if report.doors:
        top_door, top_n = report.doors[0]
        found["doors_chart"] = charts.bar_chart(
            chart_id="chart-doors",
            title=f"Check-ins by door, {name}",
            description=f"{len(report.doors)} doors; the busiest, {top_door}, admitted "
            f"{top_n} guests first.",
            rows=report.doors,
            color=COLORS["doors"],
        )
    return found
