"""A buyer's waiting-list journey in a real browser: a sold-out tier → join its waiting list →
the organizer raises the capacity in the dashboard → the offer email (read from the outbox, as
the mail would carry it) → its link → the name of each ticket (the event asks them, on the
checkout's details page) → the tickets, with their QR codes and holders' names."""

from __future__ import annotations

import re

from playwright.async_api import Browser, BrowserContext, expect
from sqlalchemy import select, text

from api.db import OutboxMessage, TicketTier
from api.demo import DEMO_OWNER
from api.mail.outbox import preview
from api.settings import Settings
from e2e import door
from e2e.accessibility import AXE, wcag_violations
from e2e.conftest import LiveApp

TIER = "General admission"


async def _offer_email(app: LiveApp, to: str) -> str:
    """The waiting-list offer email sent to `to`, as its recipient reads it."""
    async with door.session_for(app) as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "waiting_offer")
            .order_by(OutboxMessage.created_at)
        )
        settings = Settings(base_url=app.url, secret_key=app.secret_key)
        for row in rows:
            message = await preview(session, row=row, settings=settings)
            if f"<{to}>" in message.split("\n", 1)[0]:
                return message
    raise AssertionError(f"no offer email to {to} in the outbox")


async def test_a_buyer_joins_a_waiting_list_gets_the_offer_when_seats_come_back_and_buys(
    live_app: LiveApp, context: BrowserContext, browser: Browser
) -> None:
    async with door.session_for(live_app) as session:
        # The demo's free tier, sold out before anyone opens the event page.
        await session.execute(
            text("UPDATE ticket_tier SET capacity = sold + held WHERE name = :name"),
            {"name": TIER},
        )
        await session.commit()
        tier = await session.scalar(select(TicketTier).where(TicketTier.name == TIER))
        assert tier is not None
        event_id, sold = tier.event_id, tier.sold

    await context.add_init_script(path=str(AXE))
    buyer = await context.new_page()
    await buyer.goto(f"{live_app.url}/e/full-moon")
    row = buyer.locator(f"[data-tier='{TIER}']")
    await expect(row.locator(".badge")).to_have_text("Sold out")
    await row.get_by_role("link", name="Join the waiting list").click()
    await buyer.get_by_label("Email").fill("noe@example.com")
    await buyer.get_by_label("Name").fill("Noe Kahale")
    await buyer.get_by_label("Tickets wanted").fill("2")
    await buyer.get_by_role("button", name="Join the waiting list").click()
    await expect(buyer.locator("#waiting-joined")).to_contain_text("You are on the waiting list.")

    organizer_context = await browser.new_context()
    try:
        organizer = await organizer_context.new_page()
        await door.sign_in(organizer, live_app, DEMO_OWNER)
        await organizer.goto(f"{live_app.url}/admin/events/{event_id}")
        await (
            organizer.locator(f"#tiers [data-tier='{TIER}']")
            .get_by_role("link", name="Edit")
            .click()
        )
        await organizer.get_by_label("Capacity").fill(str(sold + 2))
        await organizer.get_by_role("button", name="Save the tier").click()
        await organizer.wait_for_url(re.compile(rf".*/admin/events/{event_id}(\?.*)?$"))
        await organizer.get_by_role("link", name="Waiting lists").click()
        entry = organizer.locator("[data-entry='noe@example.com']")
        await expect(entry).to_have_attribute("data-status", "offered")
    finally:
        await organizer_context.close()

    email = await _offer_email(live_app, "noe@example.com")
    assert (
        "2 \N{MULTIPLICATION SIGN} General admission came back and are held for you until" in email
    )
    link = re.search(r"http\S+/waiting/offer/\S+", email)
    assert link is not None
    await buyer.goto(link.group(0))
    await expect(buyer.locator("#offer")).to_contain_text(
        "2 \N{MULTIPLICATION SIGN} General admission"
    )
    # Meanwhile the organizer has started asking the name of each ticket.
    async with door.session_for(live_app) as session:
        await session.execute(
            text("UPDATE event SET attendee_names = 'required' WHERE id = :id"), {"id": event_id}
        )
        await session.commit()
    assert await wcag_violations(buyer) == []
    await buyer.get_by_role("button", name="Get the tickets").click()
    await expect(buyer.locator("#details-buyer")).to_have_text(
        "Your tickets are sent to noe@example.com."
    )
    names = buyer.get_by_label("Attendee name (required)")
    await expect(names.first).to_have_value("Noe Kahale")  # hers, from the waiting list
    assert await wcag_violations(buyer) == []
    await buyer.get_by_role("button", name="Get tickets").click()
    await expect(buyer.locator("[data-field-error]")).to_have_text(
        "Enter the name of the person this ticket is for."
    )
    await names.nth(1).fill("Kai Kahale")
    await buyer.get_by_role("button", name="Get tickets").click()
    await buyer.wait_for_url(f"{live_app.url}/passes/**")
    await expect(buyer.locator("#order-status")).to_have_attribute("data-status", "paid")
    await expect(buyer.locator(".qr")).to_have_count(2)
    await expect(buyer.locator("[data-holder]")).to_have_text(["Noe Kahale", "Kai Kahale"])
    assert len(set(await door.qr_texts(buyer))) == 2
