"""A buyer transfers a ticket from their passes page: the new holder gets an email with a new
pass, and a door phone that synced turns the old code away (with the transfer's wording, even
offline) and admits the new one."""

from __future__ import annotations

import re

from playwright.async_api import Browser, BrowserContext, expect
from sqlalchemy import select

from api.db import OutboxMessage, SelfServicePolicy
from api.mail.outbox import preview
from api.settings import Settings
from e2e import door, selling
from e2e.airplane import airplane_mode
from e2e.conftest import LiveApp


async def _allow_transfers(app: LiveApp) -> None:
    async with door.session_for(app) as session:
        event = await door.demo_event(session)
        session.add(SelfServicePolicy(event_id=event.id, transfers=True, transfer_hours=2))
        await session.commit()


async def _sent_to_new_holder(app: LiveApp) -> str:
    """The new holder's email, written in the transfer's own transaction, as the outbox worker
    renders it for sending (there is no mail provider here: it is kept, not sent)."""
    async with door.session_for(app) as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "pass_transferred")
        )
        assert row is not None, "the transfer queued the new holder's email"
        settings = Settings(base_url=app.url, secret_key=app.secret_key)
        return await preview(session, row=row, settings=settings)


async def test_a_transferred_ticket_is_turned_away_at_the_door_and_its_new_code_admitted(
    live_app: LiveApp, browser: Browser, context: BrowserContext
) -> None:
    await _allow_transfers(live_app)
    phone = await door.pair(context, await door.pairing_url(live_app, "Gate T"), "Gate T")
    cache = phone.locator("#status-cache")
    await expect(cache).not_to_have_text("0")
    before = int(await cache.inner_text())

    buyer_context = await browser.new_context()
    buyer = await buyer_context.new_page()
    await buyer.goto(f"{live_app.url}/e/full-moon")
    await selling.order(buyer, tier="General admission", quantity=1, email="kai@example.com")
    await buyer.wait_for_url(f"{live_app.url}/passes/**")
    old_token = await buyer.locator(".qr").get_attribute("data-token")
    assert old_token

    await buyer.get_by_text("Transfer or give this ticket to someone").click()
    await buyer.get_by_label("Their email").fill("lani@example.com")
    await buyer.get_by_label("Their name").fill("Lani Kealoha")
    await buyer.get_by_role("button", name="Transfer this ticket").click()
    await expect(buyer.locator("#self-service-done")).to_contain_text("Ticket transferred")
    await expect(buyer.locator("#passes .badge")).to_have_text("Void — transferred")
    await expect(buyer.locator(".qr")).to_have_count(0)
    await buyer_context.close()

    mail = await _sent_to_new_holder(live_app)
    assert mail.startswith("To: Lani Kealoha <lani@example.com>")
    assert "kai@example.com transferred a ticket for this event to you" in mail
    link = re.search(rf"{re.escape(live_app.url)}/passes/[A-Za-z0-9_-]+", mail)
    assert link is not None
    holder_context = await browser.new_context()
    holder = await holder_context.new_page()
    await holder.goto(link.group(0))
    await expect(holder.locator(".qr")).to_have_count(1)
    new_token = await holder.locator(".qr").get_attribute("data-token")
    assert new_token
    assert new_token != old_token
    assert new_token in mail  # the email carries the same code as the page
    assert await door.qr_texts(holder) == [new_token]
    await holder_context.close()

    # The phone syncs (its loop, or at once when it comes online): the void and the new pass.
    await phone.evaluate("() => window.dispatchEvent(new Event('online'))")
    await expect(cache).to_have_text(str(before + 2), timeout=20_000)
    await airplane_mode(live_app, context)
    verdict = phone.locator("#verdict")
    await door.enter(phone, old_token)
    await expect(verdict).to_have_attribute("data-code", "void")
    await expect(phone.locator("#verdict-title")).to_have_text("Transferred — do not admit")
    await door.enter(phone, new_token)
    await expect(verdict).to_have_attribute("data-code", "admit")
