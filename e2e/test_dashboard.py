"""The organizer's dashboard in a real browser: sign in by magic link, create and publish an
event, watch a sale and the door live, download the orders CSV, refund through Stripe."""

from __future__ import annotations

import csv
import io

from playwright.async_api import Browser, BrowserContext, expect

from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp
from e2e.selling import (
    buy_free,
    create_published_event,
    order,
    owner_signs_in,
    pay,
    take_payments,
)
from tests.stripe_standin.standin import StripeStandin


async def test_an_organizer_sells_and_watches_the_door_live(
    live_app: LiveApp, browser: Browser, context: BrowserContext
) -> None:
    page = await context.new_page()
    await owner_signs_in(page, live_app)
    event_id = await create_published_event(page, live_app)

    buyer = await browser.new_context(service_workers="allow")
    [token] = await buy_free(buyer, live_app, "reef-night", "Sand")
    await buyer.close()

    await page.goto(f"{live_app.url}/admin/")
    sand = page.locator("[data-event='reef-night'] [data-tier='Sand']")
    await expect(sand.locator("[data-figure='sold']")).to_have_text("1")

    # Pair a door phone from the dashboard, with the link it shows.
    await page.goto(f"{live_app.url}/admin/events/{event_id}/devices")
    await page.get_by_label("Door name").fill("Beach gate")
    await page.get_by_role("button", name="Create a pairing link").click()
    link = await page.locator("#pairing-link").get_attribute("href")
    assert link is not None
    phone_context = await browser.new_context(service_workers="allow")
    phone = await door.pair(phone_context, link, "Beach gate")

    # The live door view moves when the phone admits the pass, with no reload.
    await page.goto(f"{live_app.url}/admin/events/{event_id}/door")
    total = page.locator("p.big [data-figure='checked-in']")
    await expect(total).to_have_text("0")
    await expect(page.locator("#live-status")).to_contain_text("Live")
    marker = await page.evaluate("() => (window.__notReloaded = true)")
    await door.enter(phone, token)
    await expect(phone.locator("#verdict")).to_have_attribute("data-code", "admit")
    await expect(total).to_have_text("1", timeout=20_000)
    await expect(page.locator("#tiers [data-tier='Sand'] [data-figure='checked-in']")).to_have_text(
        "1"
    )
    await expect(page.locator("#doors [data-door='Beach gate']")).to_be_visible()
    assert marker
    assert await page.evaluate("() => window.__notReloaded === true")
    await phone_context.close()

    # The orders CSV from the dashboard has the buyer.
    await page.goto(f"{live_app.url}/admin/")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download all orders (CSV)").click()
    download = await download_info.value
    path = await download.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert any(r["buyer_email"] == "nalu@example.com" and r["event"] == "Reef Night" for r in rows)


async def test_a_refund_from_the_dashboard_voids_the_pass_and_frees_the_seat(
    paid_app: LiveApp, standin: StripeStandin, browser: Browser, context: BrowserContext
) -> None:
    await take_payments(paid_app, standin)
    buyer = await browser.new_context(service_workers="allow")
    shop = await buyer.new_page()
    await shop.goto(f"{paid_app.url}/e/full-moon")
    await order(shop, tier="VIP deck", quantity=1, email="lani@example.com")
    await pay(shop, paid_app, standin)
    await buyer.close()

    page = await context.new_page()
    await owner_signs_in(page, paid_app)
    vip = page.locator("[data-event='full-moon'] [data-tier='VIP deck']")
    left_before = int(await vip.locator("[data-figure='left']").inner_text())

    await page.goto(f"{paid_app.url}/admin/orders/?q=lani@example.com")
    await page.locator("#orders tr", has_text="lani@example.com").get_by_role("link").click()
    await page.locator("#refund").click()
    await expect(page.locator("#note")).to_contain_text("Stripe")
    # Stripe (the stand-in) refunds and tells us by webhook; the pass is void on the next look.
    await standin.wait_for_async(type="charge.refunded", timeout=30)
    await page.reload()
    await expect(page.locator("#passes [data-status='void']")).to_have_count(1)

    await page.goto(f"{paid_app.url}/admin/")
    await expect(vip.locator("[data-figure='left']")).to_have_text(str(left_before + 1))


async def test_the_dashboard_opens_offline_with_its_last_figures_and_says_how_old_they_are(
    live_app: LiveApp, context: BrowserContext
) -> None:
    page = await context.new_page()
    await owner_signs_in(page, live_app)
    await page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    await page.reload()  # now through the service worker, which keeps a copy
    await expect(page.locator("[data-event='full-moon']")).to_be_visible()
    await expect(page.locator("#offline-note")).to_have_count(0)

    await airplane_mode(live_app, context)
    offline = await context.new_page()
    await offline.goto(f"{live_app.url}/admin/")
    await expect(offline.locator("#offline-note")).to_contain_text(
        "You are offline. This page is as of"
    )
    full_moon = offline.locator("[data-event='full-moon'] [data-tier='General admission']")
    await expect(full_moon.locator("[data-figure='capacity']")).not_to_be_empty()

    await offline.get_by_role("link", name="Download all orders (CSV)").click()
    await expect(offline.locator("#offline-note")).to_contain_text("downloads need the server")
    assert offline.url.endswith("/admin/")
    await network_back(live_app, context)
    await expect(offline.locator("#offline-note")).to_have_count(0)
