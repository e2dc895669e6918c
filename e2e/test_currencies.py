"""A site that sells in yen (PLATFORM_FEES=JPY:300): the buyer sees whole yen on the event page
and at Stripe, pays, and the platform takes ¥300 a ticket (issue 17: multi-currency)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from e2e import selling
from e2e.conftest import LiveApp, run_app_with_stripe
from tests.stripe_standin.standin import StripeStandin


@pytest.fixture
async def yen_app(
    database_url: str, tmp_path: Path, standin: StripeStandin
) -> AsyncIterator[LiveApp]:
    # The demo is priced in the first currency: yen.
    fees = "JPY:300,USD:200"
    async with run_app_with_stripe(database_url, tmp_path, standin, PLATFORM_FEES=fees) as app:
        yield app


async def test_a_buyer_pays_in_whole_yen_and_the_platform_takes_its_yen_fee(
    yen_app: LiveApp, standin: StripeStandin, context: BrowserContext
) -> None:
    await selling.take_payments(yen_app, standin, country="JP")
    page = await context.new_page()
    await page.goto(f"{yen_app.url}/e/full-moon")
    vip = page.locator("[data-tier='VIP deck']")
    await expect(vip.locator(".price")).to_have_text("¥2,500")
    await selling.order(page, tier="VIP deck", quantity=2, email="hana@example.com")
    await page.wait_for_url(f"{standin.url}/pay/**")
    await expect(page.locator("#total")).to_have_text("5,000 JPY")  # not ¥500,000 or ¥50
    await selling.pay(page, yen_app, standin)
    await expect(page.locator(".qr")).to_have_count(2)
    completed = standin.events_of("checkout.session.completed")[0]["data"]["object"]
    intent = standin.get(completed["payment_intent"])
    assert (intent["amount"], intent["currency"]) == (5000, "jpy")
    assert intent["application_fee_amount"] == 600
