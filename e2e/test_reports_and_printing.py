"""In a real browser: the organizer reads an event's report charts, then again with no network
from the dashboard's kept copy; a buyer prints their passes, one per page."""

from __future__ import annotations

import io

import pypdf
from playwright.async_api import BrowserContext, expect
from sqlalchemy import select

from api.db import Event, Order
from e2e import door
from e2e.accessibility import AXE, wcag_violations
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp
from e2e.selling import owner_signs_in


async def test_the_reports_page_reads_offline_from_the_dashboards_kept_copy(
    live_app: LiveApp, context: BrowserContext
) -> None:
    async with door.session_for(live_app) as session:
        event = await session.scalar(select(Event).where(Event.slug == "full-moon"))
        assert event is not None
        event_id = event.id
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    await owner_signs_in(page, live_app)
    await page.goto(f"{live_app.url}/admin/events/{event_id}")
    await page.locator("#reports-link").click()
    sales = page.get_by_role("img", name="Tickets sold over time, Full Moon Beach Party")
    await expect(sales).to_be_visible()
    await expect(page.locator('table[data-report="sales"] tfoot td').first).to_have_text("3")
    assert await wcag_violations(page) == []
    await page.locator("#report-sales summary").click()  # the figures, opened
    assert await wcag_violations(page) == []
    await page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    await page.reload()  # now through the service worker, which keeps a copy
    await expect(sales).to_be_visible()

    await airplane_mode(live_app, context)
    offline = await context.new_page()
    await offline.goto(f"{live_app.url}/admin/events/{event_id}/reports")
    await expect(offline.locator("#offline-note")).to_contain_text(
        "You are offline. This page is as of"
    )
    await expect(
        offline.get_by_role("img", name="Tickets sold over time, Full Moon Beach Party")
    ).to_be_visible()
    await expect(offline.locator("#stripe-fee-note")).to_be_visible()
    await network_back(live_app, context)


async def test_a_buyer_prints_their_passes_one_per_page(
    live_app: LiveApp, context: BrowserContext
) -> None:
    async with door.session_for(live_app) as session:
        order = await session.scalar(select(Order).where(Order.buyer_name == "Demo Guest"))
        assert order is not None
        public_id = order.public_id
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    await page.goto(f"{live_app.url}/passes/{public_id}")
    await expect(page.locator("#passes .qr")).to_have_count(3)
    assert await wcag_violations(page) == []
    await expect(page.locator("#passes .print-facts").first).to_be_hidden()
    await page.emulate_media(media="print")
    await expect(page.locator("header.site")).to_be_hidden()
    await expect(page.locator("#save-to-phone")).to_be_hidden()
    await expect(page.locator("#passes .print-facts").first).to_be_visible()
    printed = pypdf.PdfReader(io.BytesIO(await page.pdf(format="A4")))
    assert len(printed.pages) == 3
    for number, sheet in enumerate(printed.pages, start=1):
        words = " ".join(sheet.extract_text().split())
        assert "Full Moon Beach Party" in words
        assert f"pass {number} of 3" in words
    download = await page.request.get(f"{live_app.url}/passes/{public_id}/passes.pdf")
    assert download.headers["content-type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(await download.body())).pages) == 3
