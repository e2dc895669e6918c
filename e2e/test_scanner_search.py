"""Finding a guest without their code on a "scan and search" phone, in airplane mode: the guest
list downloaded while online answers each keystroke offline, a result is checked in as a scan of
the pass (recorded with `source: "search"`), a scanned pass shows its holder's name, and
unpairing erases the names from the phone."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import select

from api.db import Order
from api.db.orders import order_reference
from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp


async def _demo_order_reference(app: LiveApp) -> str:
    async with door.session_for(app) as session:
        order = await session.scalar(
            select(Order).where(Order.buyer_email == "guest@driftwood.example")
        )
        assert order is not None
        return order_reference(order.id)


# How many guests the phone keeps in IndexedDB ("poctix-guests"), read as the page would.
GUESTS_KEPT = """async () => {
    const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open('poctix-guests');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
    });
    if (!db.objectStoreNames.contains('guests')) {
        db.close();
        return 0;
    }
    const record = await new Promise((resolve) => {
        const get = db.transaction('guests').objectStore('guests').get('list');
        get.onsuccess = () => resolve(get.result);
    });
    db.close();
    return record ? record.guests.length : 0;
}"""


async def _guests_kept(page: Page) -> int:
    return int(await page.evaluate(GUESTS_KEPT))


async def _until_guests_kept(page: Page, count: int) -> None:
    await page.wait_for_function(
        f"async () => (await ({GUESTS_KEPT})()) === {count}", timeout=20_000
    )


async def test_an_offline_name_search_checks_a_guest_in_and_unpairing_erases_the_names(
    live_app: LiveApp, context: BrowserContext
) -> None:
    first, second, _ = await door.demo_tokens(live_app)
    reference = await _demo_order_reference(live_app)
    link = await door.pairing_url(live_app, "Box office", may_search=True)
    page = await door.pair(context, link, "Box office")
    find = page.locator("#find-guest")
    await expect(find).to_be_visible()
    await find.click()
    await expect(page.locator("#guest-note")).to_have_text(
        "3 guests on this phone. Type a name, email or order reference.", timeout=20_000
    )
    await page.locator("#guest-search-close").click()

    await airplane_mode(live_app, context)
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await find.click()
    query = page.locator("#guest-query")
    await query.press_sequentially("demo gu")
    results = page.locator("#guest-results li")
    await expect(results).to_have_count(3)
    one = results.first
    await expect(one.locator(".guest-name")).to_have_text("Demo Guest")
    await expect(one.locator(".guest-facts")).to_have_text(
        f"guest@driftwood.example · {reference} · General admission"
    )
    await expect(one.locator(".guest-status")).to_have_text("Valid")
    await query.fill(reference.lower())
    await expect(results).to_have_count(3)
    await query.fill("nobody here")
    await expect(results).to_have_count(0)
    await expect(page.locator("#guest-note")).to_have_text("No guest matches.")

    await query.fill("Demo")
    checked = await results.first.get_attribute("data-pass-id")
    await results.first.get_by_role("button", name="Check in").click()
    await expect(page.locator("#guest-search")).to_be_hidden()
    verdict = page.locator("#verdict")
    await expect(verdict).to_have_attribute("data-code", "admit")
    await expect(page.locator("#verdict-holder")).to_have_text("Demo Guest")
    await expect(page.locator("#status-inside")).to_have_text("1")

    await find.click()
    await query.fill("demo")
    found = page.locator(f'#guest-results li[data-pass-id="{checked}"]')
    await expect(found).to_have_attribute("data-status", "inside")
    await expect(found.locator(".guest-status")).to_have_text("Inside")

    # A code scanned at the door shows whose pass it is, as the phone may see names.
    await door.enter(page, first if await door.pass_id_of(first) != checked else second)
    await expect(page.locator("#guest-search")).to_be_hidden()
    await expect(verdict).to_have_attribute("data-code", "admit")
    await expect(page.locator("#verdict-holder")).to_have_text("Demo Guest")

    await network_back(live_app, context)
    await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)
    scans = await door.stored_scans(live_app)
    assert [(s.verdict, s.admitted, s.extra.get("source")) for s in scans] == [
        ("admit", True, "search"),
        ("admit", True, None),
    ]

    # Unpairing takes the names off the phone.
    assert await _guests_kept(page) == 3
    await page.locator("#settings-open").click()
    await page.locator("#unpair").click()
    await page.locator("#unpair-yes").click()
    await expect(page.locator("#pairing")).to_be_visible()
    assert await _guests_kept(page) == 0


async def test_a_scan_only_phone_offers_no_search_and_shows_no_names(
    live_app: LiveApp, context: BrowserContext
) -> None:
    token = (await door.demo_tokens(live_app))[0]
    page = await door.pair(context, await door.pairing_url(live_app, "Gate S"), "Gate S")
    await door.enter(page, token)
    await expect(page.locator("#verdict")).to_have_attribute("data-code", "admit")
    await expect(page.locator("#verdict-holder")).to_be_hidden()
    await expect(page.locator("#find-guest")).to_be_hidden()
    assert await _guests_kept(page) == 0


async def test_a_phone_removed_from_the_door_erases_the_guest_names(
    live_app: LiveApp, context: BrowserContext
) -> None:
    link = await door.pairing_url(live_app, "Side desk", may_search=True)
    page = await door.pair(context, link, "Side desk")
    await _until_guests_kept(page, 3)
    await expect(page.locator("#find-guest")).to_be_visible()

    await door.remove_device(live_app, "Side desk")
    await expect(page.locator("#revoked")).to_contain_text(
        "This phone was removed from the door", timeout=20_000
    )
    await _until_guests_kept(page, 0)
    await expect(page.locator("#find-guest")).to_be_hidden()
    await page.reload()
    await expect(page.locator("#revoked")).to_be_visible()
    await expect(page.locator("#find-guest")).to_be_hidden()
    assert await _guests_kept(page) == 0


async def test_the_guest_names_leave_an_offline_phone_a_day_after_the_event(
    live_app: LiveApp, context: BrowserContext
) -> None:
    async with door.session_for(live_app) as session:
        event = await door.demo_event(session)
    # Before the page loads: the door reads Date.now as it was when it started.
    await context.clock.install()
    link = await door.pairing_url(live_app, "Late desk", may_search=True)
    page = await door.pair(context, link, "Late desk")
    await _until_guests_kept(page, 3)

    await airplane_mode(live_app, context)
    now = await page.evaluate("() => Date.now()")
    erase_at = (event.ends_at.timestamp() + 24 * 3600) * 1000
    await page.clock.fast_forward(int(erase_at - now) - 120_000)
    assert await _guests_kept(page) == 3
    await page.clock.fast_forward("03:00")
    await _until_guests_kept(page, 0)
    await page.locator("#find-guest").click()
    await page.locator("#guest-query").fill("demo")
    await expect(page.locator("#guest-results li")).to_have_count(0)
    await expect(page.locator("#guest-note")).to_have_text(
        "Guest names were erased from this phone after the event."
    )
