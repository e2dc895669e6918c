"""When tickets sell: a tier's sale window, by default closing when the event starts (issue 14
item 13). What a buyer sees on the event page and the home page, and what checkout answers."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Order, TicketTier, utcnow
from api.events.cache import EventCache
from api.events.pages import RenderedPages, event_context
from api.events.services import still_selling
from tests import factories
from tests.test_checkout import buy

Client = AsyncTestClient[Litestar]


async def _event(
    db: AsyncSession, *, name: str, starts_in: timedelta, tier: str = "Floor"
) -> tuple[Event, TicketTier]:
    event = await factories.event(db, name=name)
    event.starts_at = utcnow() + starts_in
    event.ends_at = event.starts_at + timedelta(hours=4)
    item = await factories.tier(db, event=event, name=tier, capacity=50)
    await db.commit()
    return event, item


def _error(page: str) -> str:
    found = BeautifulSoup(page, "html.parser").select_one("#form-error")
    return found.get_text() if found else ""


async def _listed(db: AsyncSession) -> list[str]:
    """The events a public list may show: every list filters with `still_selling` (the home
    page's listing is moving to one page per organizer, issue 14 item 16)."""
    rows = await db.scalars(
        select(Event.name).where(Event.published, still_selling(utcnow())).order_by(Event.name)
    )
    return list(rows)


def _sales_notes(page: str) -> list[str]:
    found = BeautifulSoup(page, "html.parser").select("[data-sales]")
    return [item.get_text(strip=True) for item in found]


async def test_last_weeks_event_refuses_checkout_saying_sales_have_ended(
    client: Client, db: AsyncSession
) -> None:
    event, tier = await _event(db, name="Last Week's Luau", starts_in=timedelta(days=-7))
    status, _, page = await buy(client, event, {f"qty-{tier.id}": "1", "email": "a@example.com"})
    assert status == 422
    assert "Sales have ended" in _error(page)
    assert await db.scalar(select(func.count()).select_from(Order)) == 0
    shown = (await client.get(f"/e/{event.slug}")).text
    assert "Sales have ended." in _sales_notes(shown)
    assert f"qty-{tier.id}" not in shown, "no quantity box for a tier that no longer sells"
    assert "Last Week's Luau" not in await _listed(db)


async def test_an_event_under_way_stops_selling_and_leaves_the_list_when_no_tier_says_otherwise(
    client: Client, db: AsyncSession
) -> None:
    event, tier = await _event(db, name="Tonight's Gig", starts_in=timedelta(hours=-1))
    await _event(db, name="Next Month", starts_in=timedelta(days=30))
    status, _, page = await buy(client, event, {f"qty-{tier.id}": "1", "email": "a@example.com"})
    assert status == 422
    assert "Sales have ended" in _error(page)
    assert "Sales have ended." in _sales_notes((await client.get(f"/e/{event.slug}")).text)
    assert await _listed(db) == ["Next Month"]


async def test_a_tier_whose_sales_open_later_is_refused_with_the_opening_time(
    client: Client, db: AsyncSession
) -> None:
    event, tier = await _event(db, name="Harbor Lights", starts_in=timedelta(days=20))
    tier.name = "VIP deck"
    tier.sales_start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    await db.commit()
    opens = tier.sales_start.astimezone(ZoneInfo(event.timezone))
    hour = opens.strftime("%I:%M %p").lstrip("0")
    status, _, page = await buy(client, event, {f"qty-{tier.id}": "1", "email": "a@example.com"})
    assert status == 422
    assert _error(page).startswith("Sales for VIP deck open at ")
    assert f"{opens.strftime('%B')} {opens.day}, {opens.year} · {hour}" in _error(page)
    notes = _sales_notes((await client.get(f"/e/{event.slug}")).text)
    assert notes == [f"On sale from {opens.strftime('%A, %B')} {opens.day}, {opens.year} · "
                     f"{hour} {opens.tzname()}"]  # fmt: skip


async def test_a_tier_selling_past_the_start_still_sells_until_its_own_end(
    client: Client, db: AsyncSession
) -> None:
    event, door = await _event(db, name="Late Show", starts_in=timedelta(minutes=-30))
    early = await factories.tier(db, event=event, name="Presale", capacity=10)
    door.name = "At the door"
    door.sales_end = utcnow() + timedelta(hours=1)
    await db.commit()
    assert "Late Show" in await _listed(db)
    status, location, _ = await buy(client, event, {f"qty-{door.id}": "2", "email": "a@x.org"})
    assert (status, location.startswith("/passes/")) == (303, True)
    status, _, page = await buy(client, event, {f"qty-{early.id}": "1", "email": "b@x.org"})
    assert (status, _error(page)) == (422, "Sales have ended for Presale.")


async def test_a_cached_snapshot_shows_a_window_closed_since_it_was_read_as_closed(
    app: Litestar, db: AsyncSession
) -> None:
    """The page snapshot lives up to seconds and its rendering longer: the verdict is worked
    out from the snapshot's times at each request, not read along with it."""
    event, tier = await _event(db, name="Closing Soon", starts_in=timedelta(days=2))
    tier.sales_end = utcnow() + timedelta(minutes=5)
    await db.commit()
    cache: EventCache = app.state.event_cache
    rendered: RenderedPages = app.state.rendered_pages
    snapshot = await cache.snapshot(slug=event.slug)
    assert snapshot is not None
    request = SimpleNamespace(app=app, url=SimpleNamespace(path=f"/e/{event.slug}"))
    before = event_context(snapshot, app.state.settings, now=utcnow())
    after = event_context(snapshot, app.state.settings, now=utcnow() + timedelta(minutes=6))
    open_page = rendered.page(request, snapshot.event, before, None)  # type: ignore[arg-type]
    closed_page = rendered.page(request, snapshot.event, after, None)  # type: ignore[arg-type]
    assert "50 left" in open_page
    assert _sales_notes(closed_page) == ["Sales have ended.", "Sales have ended"]
    assert f"qty-{tier.id}" not in closed_page
