"""Outgoing webhooks in a real browser: the owner adds an endpoint on the dashboard (its secret
shown once), a buyer gets free tickets, and the running app's own worker POSTs `order.paid` to a
real receiver that verifies it with the README's snippet; the delivery log shows it delivered,
and the page passes axe-core's WCAG A/AA checks."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, expect

from e2e import selling
from e2e.accessibility import AXE, wcag_violations
from e2e.conftest import LiveApp
from tests.test_outgoing import readme_verifier
from tests.webhook_receiver import running_receiver


async def test_an_owner_adds_an_endpoint_and_a_sale_reaches_it_signed(
    live_app: LiveApp, context: BrowserContext
) -> None:
    receiving = running_receiver()
    receiver = next(receiving)
    try:
        await context.add_init_script(path=str(AXE))
        page = await context.new_page()
        await selling.owner_signs_in(page, live_app)
        await page.locator("#organizers a", has_text="Profile").first.click()
        await page.locator("a#webhooks").click()
        form = page.locator("#add-endpoint")
        await form.get_by_label("Address").fill(receiver.url)
        for other in ("order.refunded", "pass.voided", "pass.checked_in", "event.sold_out"):
            await form.get_by_label(re.compile(re.escape(other))).uncheck()
        await form.get_by_role("button", name="Add endpoint").click()
        secret = await page.locator("[data-secret]").input_value()
        assert secret.startswith("whsec_")
        await expect(page.locator("[data-events]")).to_have_text("order.paid")

        buyer = await context.new_page()
        await buyer.goto(f"{live_app.url}/e/full-moon")
        await selling.order(
            buyer, tier="General admission", quantity=1, email="leilani@example.com"
        )
        await buyer.wait_for_url(f"{live_app.url}/passes/**")
        public_id = buyer.url.split("/passes/")[1].split("?")[0]
        reference = await buyer.locator("#order-reference").get_attribute("data-reference")

        # The app's own worker sends it; the log reloads itself while a delivery is pending.
        await page.get_by_role("link", name="All endpoints").click()
        await page.get_by_role("link", name=receiver.url).click()
        row = page.locator("#deliveries tr[data-type='order.paid']")
        await expect(row).to_have_attribute("data-status", "delivered", timeout=20_000)
        await expect(row).to_have_attribute("data-response", "200")
        await expect(page.locator("[data-secret]")).to_have_count(0)  # shown once
        assert await wcag_violations(page) == []

        [got] = receiver.received
        assert readme_verifier()(got.body, got.headers["poctix-signature"], secret)
        assert got.event["type"] == "order.paid"
        assert got.event["data"]["order"]["reference"] == reference  # the one the buyer reads
        assert public_id not in got.body.decode()  # never the buyer's passes link
    finally:
        receiving.close()
