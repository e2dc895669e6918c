"""A buyer opens the demo event page in a real browser."""

from __future__ import annotations

from playwright.async_api import BrowserContext, expect

from e2e.conftest import LiveApp


async def test_buyer_sees_the_demo_event_with_its_tiers(
    live_app: LiveApp, context: BrowserContext
) -> None:
    page = await context.new_page()
    response = await page.goto(f"{live_app.url}/e/full-moon")
    assert response is not None
    assert response.status == 200
    await expect(page).to_have_title("Full Moon Beach Party · Driftwood Lodge")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Full Moon Beach Party")
    await expect(page.locator("time")).to_contain_text("7:30 PM HST")
    general = page.locator("[data-tier='General admission']")
    await expect(general).to_contain_text("Free")
    await expect(general).to_contain_text("197 left")
    await expect(page.locator("[data-tier='VIP deck']")).to_contain_text("$25.00")


async def test_the_organizers_page_links_to_its_event_and_the_home_page_to_no_event(
    live_app: LiveApp, context: BrowserContext
) -> None:
    page = await context.new_page()
    await page.goto(live_app.url)
    await expect(page.get_by_role("link", name="Full Moon Beach Party")).to_have_count(0)
    await expect(page.get_by_role("link", name="Find my tickets")).to_be_visible()
    await page.goto(f"{live_app.url}/o/driftwood-lodge")
    await page.get_by_role("link", name="Full Moon Beach Party").click()
    await expect(page).to_have_url(f"{live_app.url}/e/full-moon")
