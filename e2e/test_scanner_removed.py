"""The organizer takes a phone off the door, or withdraws a pairing link, from the dashboard;
the phone in a door person's hand says so plainly and keeps what it scanned."""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, Page, Request, expect

from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp
from e2e.selling import OWNER


async def _devices_page(browser: Browser, app: LiveApp) -> tuple[BrowserContext, Page]:
    """The demo owner, signed in at the office (the server's own address: the door phones'
    airplane mode does not cut it), on the demo event's Door devices page."""
    organizer = await browser.new_context()
    page = await organizer.new_page()
    await door.sign_in(page, app, OWNER, url=app.direct_url)
    async with door.session_for(app) as session:
        event = await door.demo_event(session)
    await page.goto(f"{app.direct_url}/admin/events/{event.id}/devices")
    return organizer, page


async def test_a_phone_removed_from_the_door_stops_syncing_and_says_its_scans_are_kept(
    live_app: LiveApp, browser: Browser, context: BrowserContext
) -> None:
    tokens = await door.demo_tokens(live_app)
    phone = await door.pair(context, await door.pairing_url(live_app, "Gate R"), "Gate R")
    await airplane_mode(live_app, context)
    for token in tokens[:2]:
        await door.enter(phone, token)
    await expect(phone.locator("#status-pending")).to_have_text("2")

    organizer, page = await _devices_page(browser, live_app)
    try:
        await page.get_by_role("button", name="Remove Gate R from the door").click()
        removed = page.locator('#devices tr[data-device="Gate R"]')
        await expect(removed).to_have_attribute("data-revoked", "true")
    finally:
        await organizer.close()

    await network_back(live_app, context)
    banner = phone.locator("#revoked")
    await expect(banner).to_have_text(
        "This phone was removed from the door and no longer syncs. "
        "Its 2 unsent scans are kept on this phone.",
        timeout=20_000,
    )
    assert await door.stored_scans(live_app) == []

    # The loop has stopped: the next scan is kept and counted, and nothing is sent any more.
    sent: list[str] = []

    def watch(request: Request) -> None:
        if "/api/v1/scanner/" in request.url:
            sent.append(request.url)

    phone.on("request", watch)
    await door.enter(phone, tokens[2])
    await expect(banner).to_contain_text("Its 3 unsent scans are kept on this phone.")
    await phone.evaluate("() => window.dispatchEvent(new Event('online'))")
    await phone.evaluate("() => fetch('/healthz')")
    assert sent == []


async def test_a_revoked_pairing_link_tells_the_phone_to_ask_for_a_new_one(
    live_app: LiveApp, browser: Browser, context: BrowserContext
) -> None:
    organizer, page = await _devices_page(browser, live_app)
    try:
        await page.get_by_label("Door name").fill("Side gate")
        await page.get_by_label("Phones it may pair").fill("3")
        await page.get_by_role("button", name="Create a pairing link").click()
        link = await page.locator("#pairing-link").get_attribute("href")
        assert link is not None
        await page.goto(page.url.split("/pairing")[0])
        row = page.locator("#pairing-links tr[data-state='active']", has_text="Side gate")
        await row.get_by_role("button", name="Revoke link").click()
        await expect(
            page.locator("#pairing-links tr[data-state='revoked']", has_text="Side gate")
        ).to_have_count(1)
    finally:
        await organizer.close()

    phone = await context.new_page()
    await phone.goto(link)
    await phone.locator("#pair-name").fill("Side gate")
    await phone.locator("#pair-submit").click()
    await expect(phone.locator("#pair-error")).to_have_text(
        "This pairing link was revoked — ask the organizer for a new one."
    )
