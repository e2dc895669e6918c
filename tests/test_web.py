"""Web basics: health, OpenAPI, the home and event pages, and errors people can act on."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories, pages

Client = AsyncTestClient[Litestar]


async def test_healthz_reports_the_database(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["x-request-id"]


async def test_openapi_schema_is_served(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/healthz" in paths
    assert "/api/v1/scanner/pair" in paths


def _links(page: str, prefix: str) -> list[str]:
    soup = BeautifulSoup(page, "html.parser")
    return [a.get_text(strip=True) for a in soup.select(f'a[href^="{prefix}"]')]


async def test_the_home_page_lists_no_event_only_the_ways_in(
    client: Client, db: AsyncSession
) -> None:
    # Issue 14 item 16: `/` listed every organizer's events, a feed sending buyers elsewhere.
    await factories.event(db, name="Lantern Night", published=True)
    await db.commit()
    page = await client.get("/")
    assert page.status_code == 200
    assert _links(page.text, "/e/") == []
    assert "Lantern Night" not in pages.main_text(page.text)
    soup = BeautifulSoup(page.text, "html.parser")
    ways_in = {a["href"]: a.get_text(strip=True) for a in soup.select("main a")}
    assert ways_in == {"/login": "Find my tickets", "/apply": "Sell tickets: apply"}


async def test_an_organizers_page_lists_only_its_own_upcoming_published_events(
    client: Client, db: AsyncSession
) -> None:
    reef = await factories.organizer(db, name="Reef Bar")
    reef.logo_path = "0123456789abcdef0123456789abcdef.png"
    await factories.event(db, name="Lantern Night", org=reef, days_ahead=20)
    await factories.event(db, name="Sunset Session", org=reef, days_ahead=5)
    await factories.event(db, name="Secret Draft", org=reef, published=False)
    await factories.event(db, name="Last Week", org=reef, days_ahead=-7)
    await factories.event(db, name="Other Venue's Gig")
    slug = reef.slug
    await db.commit()
    page = await client.get(f"/o/{slug}")
    assert page.status_code == 200
    assert _links(page.text, "/e/") == ["Sunset Session", "Lantern Night"]
    soup = BeautifulSoup(page.text, "html.parser")
    heading = soup.select_one("h1")
    assert heading is not None
    assert heading.get_text() == "Reef Bar"
    assert soup.select_one('img[src="/media/0123456789abcdef0123456789abcdef.png"]') is not None


async def test_an_unknown_organizer_address_is_a_clear_404(client: Client) -> None:
    page = await client.get("/o/no-such-venue", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert pages.text(page.text, "[data-error-message]") == "There is no organizer at this address."


async def test_the_event_page_links_to_more_from_its_organizer(
    client: Client, db: AsyncSession
) -> None:
    reef = await factories.organizer(db, name="Reef Bar")
    event = await factories.event(db, name="Lantern Night", org=reef)
    slug, address = reef.slug, f"/e/{event.slug}"
    await db.commit()
    soup = BeautifulSoup((await client.get(address)).text, "html.parser")
    more = soup.select_one("#more-from-organizer")
    assert more is not None
    assert (more["href"], more.get_text()) == (f"/o/{slug}", "More from Reef Bar")


async def test_event_page_shows_times_in_the_events_zone_and_each_tier(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db, name="Luau", timezone="Pacific/Honolulu")
    event.starts_at = datetime(2030, 7, 4, 5, 30, tzinfo=UTC)  # 7:30 PM on July 3 in Honolulu
    event.ends_at = event.starts_at + timedelta(hours=3)
    await factories.tier(db, event=event, name="Lawn", price_minor=0, capacity=5)
    vip = await factories.tier(db, event=event, name="Cabana", price_minor=4500, capacity=2)
    vip.sold = 2
    await db.commit()
    response = await client.get(f"/e/{event.slug}")
    assert response.status_code == 200
    page = response.text
    assert pages.text(page, "main time") == "Wednesday, July 3, 2030 · 7:30 PM HST"
    shown = {
        pages.text(tier, "strong"): (pages.text(tier, ".price"), pages.text(tier, ".badge"))
        for tier in pages.parse(page).select("li.tier[data-tier]")
    }
    assert shown == {"Lawn": ("Free", "5 left"), "Cabana": ("$45.00", "Sold out")}


async def test_each_visitor_gets_their_own_form_token_on_the_shared_event_page(
    app: Litestar, db: AsyncSession
) -> None:
    import re

    event = await factories.event(db, name="Luau")
    await factories.tier(db, event=event, name="Lawn")
    await db.commit()
    seen = []
    for _ in range(2):  # two browsers, two CSRF cookies
        async with AsyncTestClient(app=app) as visitor:
            response = await visitor.get(f"/e/{event.slug}")
            [token] = re.findall(r'name="_csrf_token" value="([^"]+)"', response.text)
            assert token != ""
            assert response.cookies.get("csrftoken") or visitor.cookies.get("csrftoken")
            seen.append((token, response.text))
    (first, first_page), (second, second_page) = seen
    assert first != second
    assert first_page.replace(first, "") == second_page.replace(second, "")
    assert "__poctix_csrf_token_slot__" not in first_page


async def test_unpublished_event_page_is_not_found(client: Client, db: AsyncSession) -> None:
    event = await factories.event(db, published=False)
    await db.commit()
    response = await client.get(f"/e/{event.slug}", headers={"accept": "text/html"})
    assert response.status_code == 404
    message = pages.text(response.text, "[data-error-message]")
    assert message == "There is no published event at this address."


async def test_unknown_page_gets_an_html_error_page(client: Client) -> None:
    response = await client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert pages.text(response.text, "h1") == "Page not found"


async def test_unknown_api_path_gets_json_404(client: Client) -> None:
    response = await client.get("/api/v1/nothing")
    assert response.status_code == 404
    body = response.json()
    assert body["detail"] == "Nothing here at /api/v1/nothing."
    assert body["request_id"] == response.headers["x-request-id"]


async def test_malformed_json_body_is_a_400_naming_the_problem(client: Client) -> None:
    response = await client.post(
        "/api/v1/scanner/pair",
        content=b'{"code": "abc',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert (
        response.json()["detail"] == "The request body is not valid JSON: Input data was truncated."
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "Gate"}, "code"),
        ({"code": 12345}, "code"),
        ({"code": "x" * 500}, "code"),
        ({"code": "a" * 40, "name": "n" * 200}, "name"),
    ],
)
async def test_out_of_range_values_are_a_400_naming_the_field(
    client: Client, body: dict[str, object], fragment: str
) -> None:
    response = await client.post("/api/v1/scanner/pair", json=body)
    assert response.status_code == 400
    assert fragment in json.dumps(response.json())


async def test_a_request_id_sent_by_a_proxy_is_kept(client: Client) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "edge-1234abcd"})
    assert response.headers["x-request-id"] == "edge-1234abcd"


async def test_unexpected_errors_are_a_plain_500_with_the_request_id_and_no_trace(
    settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    from litestar import get

    from api.app import create_app

    app = create_app(settings)  # type: ignore[arg-type]

    @get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals sk_live_abc123")

    app.register(boom)
    async with AsyncTestClient(app=app) as client:
        with caplog.at_level(logging.ERROR):
            response = await client.get("/api/v1/boom")
    assert response.status_code == 500
    body = response.json()
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert body["request_id"] in body["detail"]
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/e/%00", None),
        ("GET", "/e/a%00b", None),
        ("POST", "/api/v1/scanner/pair", {"code": "\u0000" * 20}),
        ("POST", "/api/v1/scanner/pair", {"code": "x" * 20, "name": "Gate\u0000"}),
    ],
)
async def test_nul_bytes_anywhere_are_a_4xx_never_a_500(
    client: Client, method: str, path: str, body: dict[str, str] | None
) -> None:
    response = await client.request(method, path, json=body, headers={"accept": "text/html"})
    assert 400 <= response.status_code < 500
