"""The organizer's dashboard in a real browser: sign in by magic link, create and publish an
event, watch a sale and the door live, download the orders CSV, refund through Stripe."""

from __future__ import annotations

import csv
import io
import re

from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from api.db import Organizer
from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp
from tests.stripe_standin.standin import StripeStandin

OWNER = "owner@driftwood.example"  # the demo organizer's owner (api/demo.py)


async def sign_in(page: Page, app: LiveApp) -> None:
    """The demo organizer's owner signs in by magic link and lands on the dashboard."""
    await door.sign_in(page, app, OWNER)
    await page.wait_for_url(re.compile(r".*/admin/?$"))


async def create_published_event(page: Page, app: LiveApp) -> str:
    """Through the dashboard's forms: an event with two tiers, published. Returns its id."""
    await page.goto(f"{app.url}/admin/")
    await page.get_by_role("link", name="New event").first.click()
    await page.get_by_label("Name", exact=True).fill("Reef Night")
    await page.get_by_label("Address (slug)").fill("reef-night")
    await page.get_by_label("Venue").fill("Driftwood beach")
    await page.locator("input[name=timezone]").fill("Pacific/Honolulu")
    await page.get_by_label("Starts").fill("2031-07-04T19:00")
    await page.get_by_label("Ends").fill("2031-07-04T23:00")
    await page.get_by_role("button", name="Create the event").click()
    await expect(page.locator("#status")).to_have_attribute("data-published", "false")
    event_id = page.url.rstrip("/").split("/")[-1]
    for name, capacity in (("Sand", "40"), ("Deck", "10")):
        await page.locator("#new-tier").click()
        await page.get_by_label("Name", exact=True).fill(name)
        await page.get_by_label("Price").fill("0")
        await page.get_by_label("Capacity").fill(capacity)
        await page.get_by_label("Most tickets per order").fill("4")
        await page.get_by_role("button", name="Add the tier").click()
        await expect(page.locator(f"#tiers [data-tier='{name}']")).to_be_visible()
    await page.locator("#publish").click()
    await expect(page.locator("#status")).to_have_attribute("data-published", "true")
    return event_id


async def buy_free(context: BrowserContext, app: LiveApp, slug: str, tier: str) -> list[str]:
    page = await context.new_page()
    await page.goto(f"{app.url}/e/{slug}")
    await page.locator(f"[data-tier='{tier}']").get_by_label("Quantity").fill("1")
    await page.get_by_label("Email").fill("nalu@example.com")
    await page.get_by_role("button", name="Get tickets").click()
    await page.wait_for_url(f"{app.url}/passes/**")
    await expect(page.locator(".qr")).to_have_count(1)
    tokens = await door.qr_texts(page)
    await page.close()
    return tokens


async def test_an_organizer_sells_and_watches_the_door_live(
    live_app: LiveApp, browser: Browser, context: BrowserContext
) -> None:
    page = await context.new_page()
    await sign_in(page, live_app)
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
    account = standin.create_account(charges_enabled=True)["id"]
    async with door.session_for(paid_app) as session:
        organizer = await session.scalar(select(Organizer))
        assert organizer is not None
        organizer.stripe_account_id = account
        organizer.charges_enabled = True
        await session.commit()
    buyer = await browser.new_context(service_workers="allow")
    shop = await buyer.new_page()
    await shop.goto(f"{paid_app.url}/e/full-moon")
    await shop.locator("[data-tier='VIP deck']").get_by_label("Quantity").fill("1")
    await shop.get_by_label("Email").fill("lani@example.com")
    await shop.get_by_role("button", name="Get tickets").click()
    await shop.wait_for_url(f"{standin.url}/pay/**")
    await shop.locator("#pay").click()
    await shop.wait_for_url(f"{paid_app.url}/passes/**")
    await expect(shop.locator("#order-status")).to_have_attribute("data-status", "paid")
    await buyer.close()

    page = await context.new_page()
    await sign_in(page, paid_app)
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
    await sign_in(page, live_app)
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
