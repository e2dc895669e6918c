"""An organizer cancels an event in a real browser (issue 17, "After the sale"): the dashboard
names what the cancellation touches and asks for the event's name, then follows the voids; the
buyer's event page says the event is cancelled and offers nothing to buy."""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, expect

from e2e.accessibility import AXE, wcag_violations
from e2e.conftest import LiveApp
from e2e.selling import buy_free, create_published_event, owner_signs_in


async def test_an_owner_cancels_an_event_and_its_page_says_so(
    live_app: LiveApp, browser: Browser, context: BrowserContext
) -> None:
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    await owner_signs_in(page, live_app)
    event_id = await create_published_event(page, live_app)
    buyer = await browser.new_context(service_workers="allow")
    await buy_free(buyer, live_app, "reef-night", "Sand")
    # The after-the-sale pages keep the dashboard free of WCAG A/AA violations.
    for path in ("comps", "message"):
        await page.goto(f"{live_app.url}/admin/events/{event_id}/{path}")
        assert await wcag_violations(page) == [], path

    await page.goto(f"{live_app.url}/admin/events/{event_id}")
    await page.locator("#cancel-link").click()
    affected = page.locator("#affected")
    await expect(affected).to_have_attribute("data-orders", "1")
    await expect(affected).to_have_attribute("data-passes", "1")
    assert await wcag_violations(page) == []
    await page.get_by_label("A word to the buyers").fill("The swell closed the beach. Sorry!")
    await page.get_by_label("to confirm").fill("Reef Night")
    await page.get_by_role("button", name="Cancel the event, refund and email everyone").click()
    await expect(page.get_by_role("heading", name="Reef Night is cancelled")).to_be_visible()
    # The worker voids the free ticket; the progress page reloads itself until it is done.
    await expect(page.locator("#progress")).to_have_attribute("data-done", "yes", timeout=20_000)
    await expect(page.locator("[data-count=valid_passes]")).to_have_text("0")
    await expect(page.locator("[data-count=no_refund]")).to_have_text("1")
    assert await wcag_violations(page) == []

    shopper = await buyer.new_page()
    await shopper.goto(f"{live_app.url}/e/reef-night")
    await expect(shopper.locator("#event-cancelled")).to_contain_text("This event is cancelled.")
    await expect(shopper.get_by_role("button", name="Get tickets")).to_have_count(0)
    await buyer.close()
