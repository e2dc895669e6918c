"""Found and shared (issue 18, section 5): an event page's link previews (Open Graph, Twitter
cards) and its `schema.org/Event` JSON-LD, read from the page as a crawler reads them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Code, Event, utcnow
from tests import factories
from tests.pages import one, parse

Client = AsyncTestClient[Litestar]
BASE = "http://testserver.local"  # the tests' BASE_URL (tests/conftest.py)
IMAGE = "0123456789abcdef0123456789abcdef.jpg"


def meta(page: BeautifulSoup | Any, key: str) -> str | None:
    """The content of the page's one <meta property=key> or <meta name=key>, None if absent."""
    found = page.select(f'head meta[property="{key}"], head meta[name="{key}"]')
    assert len(found) <= 1, f"{key} is given {len(found)} times"
    return str(found[0]["content"]) if found else None


def json_ld(page: BeautifulSoup | Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(one(page, 'script[type="application/ld+json"]').string or "")
    return data


def offers(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {offer["name"]: offer for offer in data.get("offers", [])}


async def _page(client: Client, path: str) -> BeautifulSoup:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    page = parse(response.text)
    assert isinstance(page, BeautifulSoup)
    return page


async def _event(db: AsyncSession, **fields: Any) -> Event:
    """Full Moon Swim at Pier 3 in Honolulu, by the organizer "Reef Bar"."""
    org = await factories.organizer(db, name="Reef Bar")
    event = await factories.event(db, name=fields.pop("name", "Full Moon Swim"), org=org)
    event.organizer = org
    event.venue = "Pier 3, Honolulu"
    event.description = "Swim under the full moon.\nTowels provided."
    for name, value in fields.items():
        setattr(event, name, value)
    await db.flush()
    return event


async def test_a_shared_link_previews_the_events_title_date_venue_and_image(
    client: Client, db: AsyncSession
) -> None:
    event = await _event(db, image_path=IMAGE)
    await factories.tier(db, event=event)
    slug = event.slug
    await db.commit()

    page = await _page(client, f"/e/{slug}")

    assert meta(page, "og:title") == "Full Moon Swim"
    assert meta(page, "og:type") == "website"
    assert meta(page, "og:url") == f"{BASE}/e/{slug}"
    assert meta(page, "og:site_name") == "Reef Bar"
    assert meta(page, "og:image") == f"{BASE}/media/{IMAGE}"
    description = meta(page, "og:description") or ""
    assert "Pier 3, Honolulu" in description
    assert "HST" in description  # the date and time in the event's zone
    assert description.endswith("Swim under the full moon. Towels provided.")
    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "twitter:title") == "Full Moon Swim"
    assert meta(page, "twitter:description") == description
    assert meta(page, "twitter:image") == f"{BASE}/media/{IMAGE}"
    assert meta(page, "robots") is None  # the public page may be listed
    assert one(page, 'link[rel="canonical"]')["href"] == f"{BASE}/e/{slug}"


async def test_an_event_without_an_image_previews_as_a_small_card(
    client: Client, db: AsyncSession
) -> None:
    event = await _event(db)
    slug = event.slug
    await db.commit()

    page = await _page(client, f"/e/{slug}")

    assert meta(page, "twitter:card") == "summary"
    assert meta(page, "og:image") is None
    assert meta(page, "twitter:image") is None
    assert "image" not in json_ld(page)


async def test_an_event_without_an_image_previews_with_its_organizers_logo(
    client: Client, db: AsyncSession
) -> None:
    event = await _event(db)
    event.organizer.logo_path = "fedcba9876543210fedcba9876543210.png"
    slug = event.slug
    await db.commit()

    page = await _page(client, f"/e/{slug}")

    logo = f"{BASE}/media/fedcba9876543210fedcba9876543210.png"
    assert meta(page, "twitter:card") == "summary"
    assert meta(page, "og:image") == logo
    assert meta(page, "og:image:alt") == "Reef Bar"
    assert meta(page, "twitter:image") == logo
    assert "image" not in json_ld(page)  # a logo is not a picture of the event


async def test_search_engines_read_the_event_its_times_place_organizer_and_offers(
    client: Client, db: AsyncSession
) -> None:
    event = await _event(db, image_path=IMAGE)
    general = await factories.tier(db, event=event, name="General", price_minor=2500)
    gone = await factories.tier(db, event=event, name="Gone", price_minor=4000, capacity=2)
    later = await factories.tier(db, event=event, name="Later", price_minor=3000)
    closed = await factories.tier(db, event=event, name="Closed", price_minor=1000)
    secret = await factories.tier(db, event=event, name="Crew", price_minor=0)
    for position, tier in enumerate((general, gone, later, closed, secret)):
        tier.position = position
    gone.sold = 2
    later.sales_start = utcnow() + timedelta(days=2)
    closed.sales_end = utcnow() - timedelta(hours=1)
    secret.hidden = True
    zone = ZoneInfo(event.timezone)
    starts, ends = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    sells_from = general.created_at.astimezone(zone)
    opens = later.sales_start.astimezone(zone)
    slug, org_slug = event.slug, event.organizer.slug
    await db.commit()

    data = json_ld(await _page(client, f"/e/{slug}"))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Event"
    assert data["name"] == "Full Moon Swim"
    assert data["url"] == f"{BASE}/e/{slug}"
    assert data["startDate"] == starts.isoformat(timespec="seconds")
    assert data["startDate"].endswith("-10:00")  # Honolulu's offset, not UTC
    assert data["endDate"] == ends.isoformat(timespec="seconds")
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"] == {
        "@type": "Place",
        "name": "Pier 3, Honolulu",
        "address": "Pier 3, Honolulu",
    }
    assert data["image"] == [f"{BASE}/media/{IMAGE}"]
    assert data["description"] == "Swim under the full moon.\nTowels provided."
    assert data["organizer"] == {
        "@type": "Organization",
        "name": "Reef Bar",
        "url": f"{BASE}/o/{org_slug}",
    }
    listed = offers(data)
    assert set(listed) == {"General", "Gone", "Later"}  # not the hidden tier, not ended sales
    assert listed["General"] == {
        "@type": "Offer",
        "name": "General",
        "url": f"{BASE}/e/{slug}",
        "price": "25.00",
        "priceCurrency": "USD",
        "availability": "https://schema.org/InStock",
        "validFrom": sells_from.isoformat(timespec="seconds"),
        "validThrough": starts.isoformat(timespec="seconds"),
    }
    assert listed["Gone"]["availability"] == "https://schema.org/SoldOut"
    assert listed["Later"]["availability"] == "https://schema.org/InStock"
    assert listed["Later"]["validFrom"] == opens.isoformat(timespec="seconds")


async def test_a_zero_decimal_price_is_offered_in_whole_yen(
    client: Client, db: AsyncSession
) -> None:
    event = await _event(db, currency="JPY")
    tier = await factories.tier(db, event=event, name="Seat", price_minor=1500)
    tier.currency = "JPY"
    slug = event.slug
    await db.commit()

    offer = offers(json_ld(await _page(client, f"/e/{slug}")))["Seat"]

    assert (offer["price"], offer["priceCurrency"]) == ("1500", "JPY")


async def test_a_cancelled_event_says_so_to_previews_and_offers_nothing(
    client: Client, db: AsyncSession
) -> None:
    event = await _event(db, cancelled_at=utcnow())
    await factories.tier(db, event=event, price_minor=2500)
    slug = event.slug
    await db.commit()

    page = await _page(client, f"/e/{slug}")
    data = json_ld(page)

    assert data["eventStatus"] == "https://schema.org/EventCancelled"
    assert "offers" not in data
    assert meta(page, "og:title") == "Cancelled: Full Moon Swim"
    assert meta(page, "twitter:title") == "Cancelled: Full Moon Swim"
    spanish = await client.get(f"/e/{slug}", headers={"Accept-Language": "es"})
    assert meta(parse(spanish.text), "og:title") == "Cancelado: Full Moon Swim"


async def test_an_event_name_with_a_script_end_tag_stays_inside_the_json(
    client: Client, db: AsyncSession
) -> None:
    name = '</script><script>alert("x")</script> & <!-- "Moon" \u2028'
    event = await _event(db, name=name, description="</SCRIPT><img src=x onerror=alert(1)>")
    await factories.tier(db, event=event, name="</script>Tier")
    slug = event.slug
    await db.commit()

    response = await client.get(f"/e/{slug}")
    page = parse(response.text)

    scripts = page.select("script")
    assert [script.get("type") for script in scripts] == ["application/ld+json"]
    assert page.select("head img, body img[onerror]") == []
    data = json_ld(page)
    assert data["name"] == name
    assert data["description"] == "</SCRIPT><img src=x onerror=alert(1)>"
    assert set(offers(data)) == {"</script>Tier"}
    assert meta(page, "og:title") == name
    raw = one(page, 'script[type="application/ld+json"]').string or ""
    assert {"<", ">", "&"}.isdisjoint(raw)  # written as \u003c, \u003e, \u0026


async def test_a_page_with_a_code_is_not_indexed_and_never_offers_its_hidden_tier(
    client: Client, db: AsyncSession
) -> None:
    event = await _event(db)
    await factories.tier(db, event=event, name="General")
    crew = await factories.tier(db, event=event, name="Crew")
    crew.hidden = True
    db.add(Code(event_id=event.id, code="CREW", kind="none", value=0, tier_ids=[crew.id]))
    slug = event.slug
    await db.commit()

    unlocked = await _page(client, f"/e/{slug}?code=CREW")
    wrong = await _page(client, f"/e/{slug}?code=NOPE")
    partner = await _page(client, f"/e/{slug}?via=aloha")

    assert unlocked.select('[data-tier="Crew"]')  # the buyer sees the hidden tier…
    assert set(offers(json_ld(unlocked))) == {"General"}  # …search engines never do
    assert meta(unlocked, "robots") == "noindex"
    assert meta(wrong, "robots") == "noindex"
    assert meta(partner, "robots") is None
    for page in (unlocked, wrong, partner):
        assert one(page, 'link[rel="canonical"]')["href"] == f"{BASE}/e/{slug}"
        assert meta(page, "og:url") == f"{BASE}/e/{slug}"


async def test_a_drafts_address_is_a_404_search_engines_are_told_not_to_index(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db, published=False)
    slug = event.slug
    await db.commit()

    response = await client.get(f"/e/{slug}")

    assert response.status_code == 404
    assert response.headers["x-robots-tag"] == "noindex"
    assert parse(response.text).select('meta[property^="og:"]') == []


async def test_a_page_served_again_from_the_cache_carries_its_tags_without_a_query(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    event = await _event(db)
    await factories.tier(db, event=event)
    slug = event.slug
    await db.commit()
    first = await client.get(f"/e/{slug}")
    statements: list[str] = []
    engine = app.state.engine.sync_engine

    def record(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        again = await client.get(f"/e/{slug}")
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)

    assert statements == []
    assert json_ld(parse(again.text)) == json_ld(parse(first.text))
    assert meta(parse(again.text), "og:title") == "Full Moon Swim"


async def test_an_organizers_page_previews_its_name_logo_and_next_events(
    client: Client, db: AsyncSession
) -> None:
    org = await factories.organizer(db, name="Reef Bar")
    org.logo_path = IMAGE
    await factories.event(db, org=org, name="Full Moon Swim", days_ahead=3)
    await factories.event(db, org=org, name="Reef Cleanup", days_ahead=9)
    await factories.event(db, org=org, name="Draft Night", published=False)
    org_slug = org.slug
    await db.commit()

    page = await _page(client, f"/o/{org_slug}")

    assert meta(page, "og:title") == "Reef Bar"
    assert meta(page, "og:url") == f"{BASE}/o/{org_slug}"
    assert meta(page, "og:image") == f"{BASE}/media/{IMAGE}"
    assert meta(page, "og:description") == "Full Moon Swim · Reef Cleanup"
    assert meta(page, "twitter:card") == "summary"
    assert one(page, 'link[rel="canonical"]')["href"] == f"{BASE}/o/{org_slug}"
