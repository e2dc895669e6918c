"""Attendee details in a real browser (issue 17): the organizer adds a required question, the
buyer is asked it (with the attendee's name) before paying through Stripe Checkout, and the
answer shows on the buyer's passes, the dashboard's order page and the attendees CSV."""

from __future__ import annotations

import csv
import io

from playwright.async_api import Browser, BrowserContext, expect

from e2e import door, selling
from e2e.accessibility import AXE, wcag_violations
from e2e.conftest import LiveApp
from tests.stripe_standin.standin import StripeStandin


async def test_a_required_question_is_asked_before_payment_and_its_answer_reaches_the_dashboard(
    paid_app: LiveApp, standin: StripeStandin, browser: Browser, context: BrowserContext
) -> None:
    await selling.take_payments(paid_app, standin)
    async with door.session_for(paid_app) as session:
        event_id = (await door.demo_event(session)).id

    # The organizer asks each ticket's name and a required question, from the event's page.
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    await selling.owner_signs_in(page, paid_app)
    await page.goto(f"{paid_app.url}/admin/events/{event_id}")
    await page.locator("#attendee-details-link").click()
    await page.locator("#names-form").get_by_label("Required", exact=True).check()
    await page.locator("#save-names").click()
    await expect(page.locator("#saved")).to_be_visible()
    await page.get_by_label("Question").fill("Dive certification number")
    await page.locator("#question-form").get_by_label("Required", exact=True).check()
    await page.locator("#save-question").click()
    await expect(
        page.locator("#questions [data-question='Dive certification number']")
    ).to_be_visible()
    assert await wcag_violations(page) == []

    # The buyer chooses a ticket and is asked before Stripe Checkout.
    buyer = await browser.new_context()
    await buyer.add_init_script(path=str(AXE))
    shop = await buyer.new_page()
    await shop.goto(f"{paid_app.url}/e/full-moon")
    await selling.order(shop, tier="VIP deck", quantity=1, email="lani@example.com")
    await expect(shop.locator("#details-heading")).to_have_text("Who are the tickets for?")
    assert await wcag_violations(shop) == []
    await shop.locator("#details-continue").click()
    errors = shop.locator("#details-errors")
    await expect(errors).to_contain_text("attendee name: Enter the name of the person")
    await expect(errors).to_contain_text("Dive certification number: Answer this question.")
    assert await wcag_violations(shop) == []
    assert shop.url.startswith(paid_app.url)  # still here: nothing was sent to Stripe
    await shop.get_by_label("Attendee name (required)").fill("Lani Kealoha")
    await shop.get_by_label("Dive certification number (required)").fill("PADI-4471")
    await shop.locator("#details-continue").click()
    await selling.pay(shop, paid_app, standin)
    await expect(shop.locator("#passes [data-holder]")).to_have_text("Lani Kealoha")
    await buyer.close()

    # The answer on the dashboard's order page and in the attendees CSV.
    await page.goto(f"{paid_app.url}/admin/orders/?q=lani@example.com")
    await page.locator("#orders tr", has_text="lani@example.com").get_by_role("link").first.click()
    attendee = page.locator("#attendees [data-attendee]")
    await expect(attendee.locator("[data-attendee-name]")).to_have_text("Lani Kealoha")
    await expect(attendee.locator("[data-answer='Dive certification number']")).to_have_text(
        "PADI-4471"
    )
    assert await wcag_violations(page) == []
    await page.goto(f"{paid_app.url}/admin/events/{event_id}/attendee-details")
    async with page.expect_download() as download_info:
        await page.locator("#attendees-csv").click()
    path = await (await download_info.value).path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    mine = [row for row in rows if row["buyer_email"] == "lani@example.com"]
    assert [(r["attendee_name"], r["Dive certification number"]) for r in mine] == [
        ("Lani Kealoha", "PADI-4471")
    ]


async def test_a_door_phone_allowed_names_shows_the_attendee_not_the_buyer(
    live_app: LiveApp, browser: Browser, context: BrowserContext
) -> None:
    async with door.session_for(live_app) as session:
        event = await door.demo_event(session)
        event.attendee_names = "required"
        await session.commit()

    # Two free tickets, each for someone else than the buyer, through the details page.
    buyer = await browser.new_context()
    shop = await buyer.new_page()
    await shop.goto(f"{live_app.url}/e/full-moon")
    await selling.order(
        shop, tier="General admission", quantity=2, email="kai@example.com", name="Kai Buyer"
    )
    names = shop.get_by_label("Attendee name (required)")
    await expect(names).to_have_count(2)
    await names.nth(0).fill("Noe Kahale")
    await names.nth(1).fill("Lani Kealoha")
    await shop.locator("#details-continue").click()
    await shop.wait_for_url(f"{live_app.url}/passes/**")
    held = {}
    for item in await shop.locator("#passes li.pass").all():
        token = await item.locator(".qr").get_attribute("data-token")
        held[await item.locator("[data-holder]").inner_text()] = token
    await buyer.close()
    assert sorted(held) == ["Lani Kealoha", "Noe Kahale"]

    # A "scan and search" phone names the attendee; a scan-only phone names no one.
    link = await door.pairing_url(live_app, "Box office", may_search=True)
    phone = await door.pair(context, link, "Box office")
    await phone.locator("#find-guest").click()
    await expect(phone.locator("#guest-note")).to_contain_text(
        "guests on this phone", timeout=20_000
    )
    await phone.locator("#guest-query").press_sequentially("lani")
    await expect(phone.locator("#guest-results li .guest-name")).to_have_text(["Lani Kealoha"])
    await phone.locator("#guest-search-close").click()
    await door.enter(phone, held["Noe Kahale"] or "")
    await expect(phone.locator("#verdict")).to_have_attribute("data-code", "admit")
    await expect(phone.locator("#verdict-holder")).to_have_text("Noe Kahale")

    gate = await browser.new_context(service_workers="allow")
    scan_only = await door.pair(gate, await door.pairing_url(live_app, "Gate"), "Gate")
    await door.enter(scan_only, held["Lani Kealoha"] or "")
    await expect(scan_only.locator("#verdict")).to_have_attribute("data-code", "admit")
    await expect(scan_only.locator("#verdict-holder")).to_be_hidden()
    await gate.close()
