"""Found (issue 18, section 5): /robots.txt names the sitemap and keeps crawlers out of private
pages; /sitemap.xml lists the published events that are not over and their organizers' pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import utcnow
from tests import factories

Client = AsyncTestClient[Litestar]
BASE = "http://testserver.local"  # the tests' BASE_URL (tests/conftest.py)
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


async def listed(client: Client) -> list[str]:
    response = await client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314  (our own answer)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    return [loc.text or "" for loc in root.findall("sm:url/sm:loc", NS)]


async def test_the_sitemap_lists_upcoming_published_events_and_their_organizers(
    client: Client, db: AsyncSession
) -> None:
    org = await factories.organizer(db)
    soon = await factories.event(db, org=org, days_ahead=3)
    later = await factories.event(db, org=org, days_ahead=30)
    cancelled = await factories.event(db, org=org, days_ahead=10)
    cancelled.cancelled_at = utcnow()
    draft = await factories.event(db, org=org, published=False)
    past = await factories.event(db, days_ahead=-5)
    running = await factories.event(db, org=org, days_ahead=0)
    running.starts_at = utcnow() - timedelta(hours=1)  # on now, over in three hours
    slugs = {e: e.slug for e in (soon, later, cancelled, draft, past, running)}
    await db.commit()

    urls = await listed(client)

    assert urls == [
        f"{BASE}/e/{slugs[running]}",
        f"{BASE}/e/{slugs[soon]}",
        f"{BASE}/e/{slugs[cancelled]}",  # its page says cancelled to search engines
        f"{BASE}/e/{slugs[later]}",
        f"{BASE}/o/{org.slug}",
    ]
    assert f"{BASE}/e/{slugs[draft]}" not in urls
    assert f"{BASE}/e/{slugs[past]}" not in urls


async def test_a_site_with_no_events_has_an_empty_sitemap(client: Client) -> None:
    assert await listed(client) == []


async def test_robots_txt_names_the_sitemap_and_keeps_crawlers_out_of_orders_and_staff_pages(
    client: Client,
) -> None:
    response = await client.get("/robots.txt")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Sitemap: {BASE}/sitemap.xml" in lines
    disallowed = {line.split(": ", 1)[1] for line in lines if line.startswith("Disallow: ")}
    private = {"/admin", "/api/", "/passes/", "/account", "/waiting/offer/", "/e/*/embed"}
    assert private <= disallowed
    assert not any(path in ("/e/", "/o/", "/") for path in disallowed)
