"""The organizer's side of the door in a real browser (issue 16): a VIP-only door list, a
"scan and search" pairing link bound to it, a guest checked in from the order page, and the
live door's "Inside now"."""

from __future__ import annotations

import re

from playwright.async_api import Browser, BrowserContext, expect

from e2e.conftest import LiveApp
from e2e.selling import buy_free, create_published_event, owner_signs_in


async def test_an_organizer_sets_up_a_vip_door_and_checks_a_guest_in_from_the_order_page(
    live_app: LiveApp, browser: Browser, context: BrowserContext
) -> None:
    page = await context.new_page()
    await owner_signs_in(page, live_app)
    event_id = await create_published_event(page, live_app)  # tiers Sand and Deck

    # A door list for the deck: Deck passes only, from 7 PM, guests may come back.
    await page.goto(f"{live_app.url}/admin/events/{event_id}/devices")
    await page.get_by_role("link", name="Door lists").click()
    await page.get_by_label("Name").fill("VIP deck")
    await page.get_by_label("Only these tiers:").check()
    await page.get_by_label("Deck", exact=True).check()
    await page.get_by_label("Opens").fill("2031-07-04T19:00")
    await page.get_by_label("Re-entry").check()
    await page.get_by_role("button", name="Add the list").click()
    deck = page.locator("#door-lists tr[data-list='VIP deck'] td")
    await expect(deck).to_have_text(
        ["VIP deck", "Deck", re.compile(r"July 4, 2031 · 7:00 PM HST"), "any time", "yes", "0",
         "Change"]
    )  # fmt: skip

    # A pairing link bound to it, for a phone that may look guests up by name.
    await page.get_by_role("link", name="Door devices").click()
    await page.get_by_label("Door name").fill("Deck stairs")
    await page.get_by_label("Door list").select_option(label="VIP deck")
    await page.get_by_label("Scan and search (this phone can look up guests by name)").check()
    await page.get_by_role("button", name="Create a pairing link").click()
    link = await page.locator("#pairing-link").get_attribute("href")
    assert link is not None
    row = page.locator("#pairing-links tr[data-pairing]")
    await expect(row).to_have_attribute("data-list", "VIP deck")
    await expect(row.locator("td").nth(5)).to_have_text("Scan and search")
    paired = await page.request.post(
        f"{live_app.url}/api/v1/scanner/pair", data={"code": link.split("#pair=")[1]}
    )
    assert paired.status == 201
    await page.reload()
    phone = page.locator("#devices tr[data-device='Deck stairs'] td")
    await expect(phone.nth(1)).to_have_text("VIP deck")
    await expect(phone.nth(6)).to_have_text("Scan and search")

    # A guest at the box office: checked in from their order, once.
    buyer = await browser.new_context(service_workers="allow")
    await buy_free(buyer, live_app, "reef-night", "Deck")
    await buyer.close()
    await page.goto(f"{live_app.url}/admin/orders/?q=nalu@example.com")
    await page.locator("#orders a").first.click()
    await page.locator("#passes form[data-check-in]").get_by_role("button", name="Check in").click()
    await expect(page.locator("#checked-in")).to_have_attribute("data-code", "admit")
    await expect(page.locator("#checked-in")).to_contain_text("Checked in — Admit")
    await page.locator("#passes form[data-check-in]").get_by_role("button", name="Check in").click()
    await expect(page.locator("#checked-in")).to_contain_text("Already scanned")
    await expect(page.locator("#checked-in")).to_contain_text("at Dashboard")

    # The live door: inside now on the main list, at the Dashboard's door.
    await page.goto(f"{live_app.url}/admin/events/{event_id}/door")
    inside = page.locator("#inside tr[data-list='All passes'][data-tier='Deck'] [data-figure]")
    await expect(inside).to_have_text("1")
    await expect(
        page.locator("#inside tr[data-list='VIP deck'][data-total] [data-figure]")
    ).to_have_text("0")
    await expect(
        page.locator("#doors [data-door='Dashboard'] [data-figure='checked-in']")
    ).to_have_text("1")
    await expect(page.locator("p.big [data-figure='checked-in']")).to_have_text("1")
