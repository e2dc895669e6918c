"""An event's reports: sales, revenue and check-ins as SVG charts with their tables and CSVs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.figures import event_money
from api.admin.reports import bucketed
from api.db import Code, Event, Order, OrganizerMember
from api.settings import Settings
from tests import pages
from tests.shop import OPERATOR, Shop
from tests.test_codes import add_code
from tests.test_dashboard import sign_in
from tests.test_live_door import a_night_at_the_door

Client = AsyncTestClient[Litestar]


def _csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _chart_is_named(page: str, chart_id: str) -> str:
    """The chart is an image named by its own title and description; returns the description."""
    chart = pages.one(page, f"svg#{chart_id}")
    assert chart["role"] == "img"
    title_id, desc_id = str(chart["aria-labelledby"]).split()
    assert pages.one(chart, f"title#{title_id}").get_text()
    return pages.one(chart, f"desc#{desc_id}").get_text()


async def test_sales_and_revenue_net_of_the_platform_fee_and_refunds_per_day(
    shop: Shop, db: AsyncSession
) -> None:
    early, early_id = await shop.checkout(quantity=2)
    late, _ = await shop.checkout(quantity=1)
    for session in (early, late):
        shop.standin.complete_session(session)
    await shop.standin.settle_async()
    shop.standin.refund(early, 2500)
    await shop.standin.settle_async()
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    # The first order was paid 20 days before the second: one bar per day, gaps kept.
    paid = await db.scalar(select(Order.paid_at).where(Order.public_id != early_id,
                                                         Order.event_id == event.id))  # fmt: skip
    assert paid is not None
    await db.execute(
        update(Order).where(Order.public_id == early_id).values(paid_at=paid - timedelta(days=20))
    )
    await db.commit()
    reports = f"{shop.url}/admin/events/{event.id}/reports"
    page = (await shop.browser.get(reports, auth=OPERATOR)).text

    assert _chart_is_named(page, "chart-sales").startswith("3 tickets in 2 orders from")
    sales = pages.rows(page, 'table[data-report="sales"] tbody tr')
    assert len(sales) == 21
    assert [row[1] for row in sales] == ["2", *["0"] * 19, "1"]
    assert pages.rows(page, 'table[data-report="sales"] tfoot tr') == [["Total", "3", "2"]]

    totals = {
        str(cell["data-total"]): pages.shown(cell)
        for cell in pages.parse(page).select('table[data-report="revenue"] tfoot [data-total]')
    }
    assert totals == {"gross": "$75.00", "fee": "$6.00", "refunds": "$25.00",
                      "disputed": "$0.00", "net": "$44.00"}  # fmt: skip
    money = (await event_money(db, [event.id]))[event.id]
    assert money.net == 4400  # the event page's figure and the report's agree
    described = _chart_is_named(page, "chart-revenue")
    assert "$44.00 net of the platform fee ($6.00)" in described
    assert "what reaches the organizer's Stripe account" in described
    assert "the platform pays out of its own fee" in pages.text(page, "#stripe-fee-note")
    assert pages.parse(page).select("#report-checkins [data-empty]")

    links = dict(zip(pages.values(page, "a[data-csv]", "data-csv"),
                     pages.values(page, "a[data-csv]", "href"), strict=True))  # fmt: skip
    assert sorted(links) == ["checkins", "codes", "doors", "revenue", "sales"]
    revenue_csv = await shop.browser.get(f"{shop.url}{links['revenue']}", auth=OPERATOR)
    assert revenue_csv.headers["content-type"].startswith("text/csv")
    assert revenue_csv.headers["cache-control"] == "no-store"
    rows = _csv(revenue_csv.content)
    assert len(rows) == 21
    assert {row["currency"] for row in rows} == {"USD"}
    assert sum(int(row["net_minor"]) for row in rows) == 4400
    assert sum(int(row["platform_fee_minor"]) for row in rows) == 600
    assert rows[0]["period_start"].endswith(("-10:00",))  # the event's zone (Honolulu)
    sales_csv = _csv((await shop.browser.get(f"{shop.url}{links['sales']}", auth=OPERATOR)).content)
    assert [int(row["tickets"]) for row in sales_csv] == [2, *[0] * 19, 1]


async def test_each_code_shows_its_uses_tickets_discount_and_revenue(
    shop: Shop, db: AsyncSession
) -> None:
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    summer = await add_code(db, event, "SUMMER25", kind="percent", value=25)
    await add_code(db, event, "UNUSED", kind="amount", value=500, max_uses=10)
    page = (await shop.browser.get(f"/e/{shop.slug}?code=summer25")).text
    form = {tag["name"]: tag["value"] for tag in pages.parse(page).select(
        'form[action$="/checkout"] input[type="hidden"]')}  # fmt: skip
    sold: list[str] = []
    for quantity, email in ((2, "ana@example.com"), (1, "bo@example.com"), (1, "cy@example.com")):
        response = await shop.browser.post(
            f"/e/{shop.slug}/checkout",
            data={**form, f"qty-{shop.tier_id}": str(quantity), "email": email},
        )
        assert response.status_code == 303, response.text
        sold.append(response.headers["location"].rsplit("/", 1)[-1])
    sold.pop()  # the last is held, never paid: not in the report
    for session in sold:
        shop.standin.complete_session(session)
    await shop.standin.settle_async()
    await shop.checkout(quantity=1)  # no code: in no line of the table

    page = (await shop.browser.get(f"{shop.url}/admin/events/{event.id}/reports",
                                   auth=OPERATOR)).text  # fmt: skip
    lines = {
        str(row["data-code"]): row
        for row in pages.parse(page).select('table[data-report="codes"] tbody tr')
    }
    assert list(lines) == ["SUMMER25", "UNUSED"]
    summer_row = [pages.shown(cell) for cell in lines["SUMMER25"].select("th, td")]
    # Three $25.00 tickets at 25% off: $18.75 each, $56.25 paid, $18.75 off; the fee $2.00 each.
    assert summer_row == ["SUMMER25", "25% off", "2", "3", "$18.75", "$56.25", "$50.25"]
    assert [pages.shown(cell) for cell in lines["UNUSED"].select("th, td")] == [
        "UNUSED", "$5.00 off each ticket", "0 of 10", "0", "$0.00", "$0.00", "$0.00"
    ]  # fmt: skip
    assert (await db.scalar(select(Code.uses).where(Code.id == summer))) == 3  # the hold too

    link = pages.one(page, 'a[data-csv="codes"]')["href"]
    rows = _csv((await shop.browser.get(f"{shop.url}{link}", auth=OPERATOR)).content)
    assert [(r["code"], r["uses"], r["tickets"], r["discount_minor"], r["revenue_minor"],
             r["net_minor"], r["currency"]) for r in rows] == [
        ("SUMMER25", "2", "3", "1875", "5625", "5025", "USD"),
        ("UNUSED", "0", "0", "0", "0", "0", "USD"),
    ]  # fmt: skip


async def test_check_ins_over_time_and_by_the_door_that_admitted_each_guest_first(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    night = await a_night_at_the_door(db, settings)
    await sign_in(client, db, settings, "staff@reef.example")
    edit = await client.get(f"/admin/events/{night.event_id}")
    link = pages.one(edit.text, "#reports-link")["href"]
    assert link == f"/admin/events/{night.event_id}/reports"
    page = (await client.get(str(link))).text
    assert _chart_is_named(page, "chart-checkins").startswith("3 guests checked in")
    rows = pages.rows(page, 'table[data-report="checkins"] tbody tr')
    assert sum(int(row[1]) for row in rows) == 3  # the double admission counts once
    assert pages.rows(page, 'table[data-report="doors"] tbody tr') == [
        ["Gate A", "2"],
        ["Gate B", "1"],
    ]
    assert "the busiest, Gate A, admitted 2 guests first" in _chart_is_named(page, "chart-doors")
    doors = _csv((await client.get(f"/admin/events/{night.event_id}/reports/doors.csv")).content)
    assert doors == [{"door": "Gate A", "checked_in_first_here": "2"},
                     {"door": "Gate B", "checked_in_first_here": "1"}]  # fmt: skip
    times = _csv((await client.get(f"/admin/events/{night.event_id}/reports/checkins.csv")).content)
    assert sum(int(row["checked_in"]) for row in times) == 3
    missing = await client.get(f"/admin/events/{night.event_id}/reports/secrets.csv")
    assert missing.status_code == 404


async def test_a_door_lead_and_another_organizer_see_no_reports(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    night = await a_night_at_the_door(db, settings)
    event = await db.get_one(Event, night.event_id)
    db.add(OrganizerMember(organizer_id=event.organizer_id, email="lead@reef.example",
                           role="door_lead"))  # fmt: skip
    await db.commit()
    await sign_in(client, db, settings, "lead@reef.example")
    assert (await client.get(f"/admin/events/{night.event_id}/reports")).status_code == 403
    sales = await client.get(f"/admin/events/{night.event_id}/reports/sales.csv")
    assert sales.status_code == 403
    client.cookies.clear()
    await sign_in(client, db, settings, "staff@reef.example")
    theirs = await client.get(f"/admin/events/{night.other_event_id}/reports")
    assert theirs.status_code == 404


def test_day_bars_start_at_the_venues_midnight_across_a_clock_change() -> None:
    # Lisbon moves its clocks forward on 29 March 2026.
    points = [
        (datetime(2026, 3, 20, 23, 30, tzinfo=UTC), {"tickets": 1}),  # 20 March 23:30 local
        (datetime(2026, 4, 9, 12, 0, tzinfo=UTC), {"tickets": 2}),  # 9 April 13:00 local
    ]
    series = bucketed(points, zone="Europe/Lisbon", keys=("tickets",))
    starts = [b.start for b in series.buckets]
    assert len(starts) == 21
    assert {(s.hour, s.minute) for s in starts} == {(0, 0)}
    assert [s.day for s in starts[:2]] == [20, 21]
    assert [b.get("tickets") for b in series.buckets] == [1, *[0] * 19, 2]


def test_an_evening_at_the_door_is_drawn_in_quarter_hours() -> None:
    start = datetime(2030, 6, 1, 18, 0, tzinfo=UTC)
    points = [(start + timedelta(minutes=m), {"checked_in": 1}) for m in (1, 2, 20, 95)]
    series = bucketed(points, zone="UTC", keys=("checked_in",))
    assert [b.width for b in series.buckets] == [timedelta(minutes=15)] * 7
    assert [b.get("checked_in") for b in series.buckets] == [2, 1, 0, 0, 0, 0, 1]
