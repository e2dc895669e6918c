"""A buyer's journey in a real browser: event page → (Stripe Checkout) → passes with QR codes."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image
from playwright.async_api import BrowserContext, Page, expect

from api.passes import keys, tokens
from e2e import door, selling
from e2e.conftest import LiveApp
from tests.stripe_standin.standin import StripeStandin


async def _decoded_qr_tokens(page: Page, app: LiveApp) -> list[str]:
    """Read every QR on the page from a screenshot, as a phone camera at the door would."""
    found = []
    for qr in await page.locator(".qr").all():
        image = Image.open(io.BytesIO(await qr.screenshot())).convert("L")
        found.extend(result.text for result in zxingcpp.read_barcodes(image))
    async with door.session_for(app) as session:
        event = await door.demo_event(session)
        public = await keys.event_public_keys(session, event_id=event.id)
    assert all(tokens.verify(text, keys=public).ok for text in found)
    return found


async def test_a_buyer_gets_a_free_ticket_and_sees_its_qr_at_once(
    live_app: LiveApp, context: BrowserContext
) -> None:
    page = await context.new_page()
    await page.goto(f"{live_app.url}/e/full-moon?via=AlohaCalendar")
    await selling.order(page, tier="General admission", quantity=2, email="kai@example.com")
    await page.wait_for_url(f"{live_app.url}/passes/**")
    await expect(page.locator("#order-status")).to_have_attribute("data-status", "paid")
    await expect(page.locator(".qr")).to_have_count(2)
    await expect(page.get_by_text("Purchased on AlohaCalendar")).to_be_visible()
    assert len(set(await _decoded_qr_tokens(page, live_app))) == 2


async def test_a_buyer_pays_through_stripe_checkout_and_lands_on_their_passes(
    paid_app: LiveApp, standin: StripeStandin, context: BrowserContext
) -> None:
    account = await selling.take_payments(paid_app, standin)
    page = await context.new_page()
    await page.goto(f"{paid_app.url}/e/full-moon")
    await expect(page.locator("[data-tier='VIP deck']")).to_contain_text("$25.00")
    await selling.order(page, tier="VIP deck", quantity=1, email="lani@example.com")
    await page.wait_for_url(f"{standin.url}/pay/**")
    assert page.url.startswith(f"{standin.url}/pay/cs_test_")
    await selling.pay(page, paid_app, standin)
    await expect(page.locator(".qr")).to_have_count(1)
    assert len(await _decoded_qr_tokens(page, paid_app)) == 1
    session_obj = standin.events_of("checkout.session.completed")[0]["data"]["object"]
    intent = standin.get(session_obj["payment_intent"])
    assert intent["application_fee_amount"] == 200
    assert intent["transfer_data"]["destination"] == account
