"""Attendee details in a real browser (issue 17): the organizer adds a required question, the
buyer is asked it (with the attendee's name) before paying through Stripe Checkout, and the
answer shows on the buyer's passes, the dashboard's order page and the attendees CSV."""

from __future__ import annotations

import csv
import io
import re

from playwright.async_api import Browser, BrowserContext, expect
from sqlalchemy import select

from api.db import Organizer
from e2e import door
from e2e.conftest import LiveApp
from e2e.test_dashboard_nav import AXE, wcag_violations
from tests.stripe_standin.standin import StripeStandin

OWNER = "owner@driftwood.example"  # the demo organizer's owner (api/demo.py)


async def test_a_required_question_is_asked_before_payment_and_its_answer_reaches_the_dashboard(
    paid_app: LiveApp, standin: StripeStandin, browser: Browser, context: BrowserContext
) -> None:
    account = standin.create_account(charges_enabled=True)["id"]
    async with door.session_for(paid_app) as session:
        organizer = await session.scalar(select(Organizer))
        assert organizer is not None
        organizer.stripe_account_id = account
        organizer.charges_enabled = True
        event_id = (await door.demo_event(session)).id
        await session.commit()

    # The organizer asks each ticket's name and a required question, from the event's page.
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    await door.sign_in(page, paid_app, OWNER)
    await page.wait_for_url(re.compile(r".*/admin/?$"))
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
    await shop.locator("[data-tier='VIP deck']").get_by_label("Quantity").fill("1")
    await shop.get_by_label("Email").fill("lani@example.com")
    await shop.get_by_role("button", name="Get tickets").click()
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
    await shop.wait_for_url(f"{standin.url}/pay/**")
    await shop.locator("#pay").click()
    await shop.wait_for_url(f"{paid_app.url}/passes/**")
    await expect(shop.locator("#order-status")).to_have_attribute("data-status", "paid")
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
