"""Finding one's way in the dashboard on a phone and at a desk: the navigation (a Menu that opens
on a 390px phone, a bar at desktop width), the event overview, the orders list (find an order
by its buyer's email, email its tickets again), each with no WCAG 2 A/AA violation by axe-core,
the menu closed and open."""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, ViewportSize, expect

from e2e import selling
from e2e.accessibility import AXE, wcag_violations
from e2e.conftest import LiveApp

EVENT = "Full Moon Beach Party"  # the demo event
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=900)


async def buy_free(browser: Browser, app: LiveApp, email: str) -> None:
    """A buyer takes one free ticket on the event page (the real checkout)."""
    buyer = await browser.new_context()
    page = await buyer.new_page()
    await page.goto(f"{app.url}/e/full-moon")
    await selling.order(page, tier="General admission", quantity=1, email=email)
    await page.wait_for_url(f"{app.url}/passes/**")
    await buyer.close()


async def test_an_organizer_on_a_phone_opens_the_menu_goes_to_the_event_and_finds_an_order(
    live_app: LiveApp, browser: Browser, context: BrowserContext
) -> None:
    await buy_free(browser, live_app, "nalu@example.com")
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    await page.set_viewport_size(PHONE)
    await selling.owner_signs_in(page, live_app)

    # On a phone the sections wait behind "Menu".
    menu = page.locator("#nav-menu > summary")
    orders_link = page.locator("nav.admin-nav [data-nav='orders']")
    await expect(menu).to_be_visible()
    await expect(orders_link).to_be_hidden()
    assert await wcag_violations(page) == []
    await menu.click()
    await expect(orders_link).to_be_visible()
    events_link = page.locator("nav.admin-nav [data-nav='events']")
    await expect(events_link).to_have_attribute("aria-current", "page")
    assert await wcag_violations(page) == []
    await events_link.click()

    # The event's overview, from the list of events.
    await page.get_by_role("link", name=EVENT, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(EVENT)
    sold = page.locator("#tier-sales [data-tier='General admission'] [data-figure='sold']")
    await expect(sold).to_have_text("4")  # the demo's 3 and the one just bought
    assert await wcag_violations(page) == []

    # Its orders, then the buyer's by email.
    await page.locator("#actions").get_by_role("link", name="Orders", exact=True).click()
    await expect(page.locator("#order-count")).to_have_attribute("data-total", "2")
    await page.get_by_label("Search by buyer name, email or order reference").fill(
        "NALU@example.com"
    )
    await page.get_by_role("button", name="Search").click()
    rows = page.locator("#orders tr[data-order]")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("nalu@example.com")
    await expect(page.locator("nav.admin-nav [data-nav='orders']")).to_have_attribute(
        "aria-current", "page"
    )
    assert await wcag_violations(page) == []

    # Email the tickets again from the list.
    reference = await rows.first.get_attribute("data-order")
    await page.get_by_label(f"Select order {reference}").check()
    await page.get_by_role("button", name="Email the ticked orders' tickets again").click()
    await expect(page.locator("#note")).to_have_attribute("data-queued", "1")
    await expect(page.locator("#note")).to_have_text(
        "Tickets queued to be emailed again for 1 order."
    )
    await page.locator("#orders").get_by_role("link", name=reference or "").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Order for nalu@example.com")


async def test_at_a_desk_the_navigation_is_a_bar_and_every_page_passes_axe(
    live_app: LiveApp, context: BrowserContext
) -> None:
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    await page.set_viewport_size(DESKTOP)
    await selling.owner_signs_in(page, live_app)

    await expect(page.locator("#nav-menu > summary")).to_be_hidden()
    for section in ("events", "orders", "door", "reports", "members", "settings"):
        await expect(page.locator(f"nav.admin-nav [data-nav='{section}']")).to_be_visible()
    assert await wcag_violations(page) == []
    await page.get_by_role("link", name=EVENT, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(EVENT)
    assert await wcag_violations(page) == []
    await page.locator("nav.admin-nav [data-nav='orders']").click()
    await expect(page.locator("#orders tr[data-order]")).to_have_count(1)
    assert await wcag_violations(page) == []
    for section, heading in (("door", "Door"), ("reports", "Reports and exports")):
        await page.locator(f"nav.admin-nav [data-nav='{section}']").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await expect(page.locator(f"nav.admin-nav [data-nav='{section}']")).to_have_attribute(
            "aria-current", "page"
        )
        assert await wcag_violations(page) == []
