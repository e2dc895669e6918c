"""Discount codes in a real browser (issue 17, "Codes"): the organizer makes a code on the event's
codes page, a buyer types it on the event page ("Have a code?") and pays the discounted price
through Stripe Checkout, and the organizer sees the code's use, the order's discount, the
orders CSV's code and discount columns, and the code's line in the event's report (axe-clean)."""

from __future__ import annotations

import csv
import io

from playwright.async_api import Browser, BrowserContext, expect

from e2e import door, selling
from e2e.accessibility import AXE, wcag_violations
from e2e.conftest import LiveApp
from tests.stripe_standin.standin import StripeStandin


async def test_a_code_made_in_the_dashboard_discounts_a_paid_sale_the_organizer_then_sees(
    paid_app: LiveApp, standin: StripeStandin, browser: Browser, context: BrowserContext
) -> None:
    await selling.take_payments(paid_app, standin)
    async with door.session_for(paid_app) as session:
        event_id = (await door.demo_event(session)).id

    # The organizer makes MOON20: 20% off the VIP deck, for five orders.
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    await selling.owner_signs_in(page, paid_app)
    await page.goto(f"{paid_app.url}/admin/events/{event_id}")
    await page.locator("#codes-link").click()
    form = page.locator("#code-form")
    await form.get_by_label("Code").fill("moon20")
    await form.get_by_label("A percentage off").check()
    await form.get_by_label("Percent off").fill("20")
    await form.get_by_label("Only these tiers:").check()
    await form.get_by_label("VIP deck").check()
    await form.get_by_label("Orders that may use it").fill("5")
    await form.get_by_role("button", name="Add the code").click()
    row = page.locator("#codes tr[data-code='MOON20']")
    await expect(row.locator("td").nth(1)).to_have_text("20% off")
    await expect(row.locator("[data-uses-shown]")).to_have_text("0 of 5")

    # A buyer types it on the event page and pays $20.00 a ticket instead of $25.00.
    buyer = await browser.new_context()
    shop = await buyer.new_page()
    await shop.goto(f"{paid_app.url}/e/full-moon")
    await shop.get_by_label("Have a code?").fill("nope")
    await shop.get_by_role("button", name="Apply").click()
    await expect(shop.locator("#code-error")).to_have_text(
        "“NOPE” is not a valid code for this event."
    )
    await shop.get_by_label("Have a code?").fill("moon20")
    await shop.get_by_role("button", name="Apply").click()
    await expect(shop.locator("#code-applied")).to_contain_text("Code MOON20 applied: 20% off")
    vip = shop.locator("[data-tier='VIP deck']")
    await expect(vip.locator(".price")).to_have_text("$25.00 $20.00")
    await selling.order(shop, tier="VIP deck", quantity=2, email="keoni@example.com")
    await shop.wait_for_url(f"{standin.url}/pay/**")
    [created] = [r for r in standin.requests if r.path == "/v1/checkout/sessions"]
    assert [item["price_data"]["unit_amount"] for item in created.params["line_items"]] == [2000]
    await selling.pay(shop, paid_app, standin)
    await buyer.close()

    # The organizer sees the use, the order's discount and the CSV's columns.
    await page.goto(f"{paid_app.url}/admin/events/{event_id}/codes")
    await expect(row.locator("[data-uses-shown]")).to_have_text("1 of 5")
    await page.goto(f"{paid_app.url}/admin/orders/?q=keoni@example.com")
    await page.locator("#orders tr", has_text="keoni@example.com").get_by_role("link").first.click()
    await expect(page.locator("#order-code")).to_have_text("MOON20: $10.00 off")
    await page.goto(f"{paid_app.url}/admin/")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download all orders (CSV)").click()
    path = await (await download_info.value).path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    [mine] = [r for r in rows if r["buyer_email"] == "keoni@example.com"]
    assert (mine["code"], mine["discount_minor"], mine["total_minor"]) == ("MOON20", "1000", "4000")

    # The event's report: MOON20's line (one use, two tickets, $10.00 off, $40.00 paid) and CSV.
    await page.goto(f"{paid_app.url}/admin/events/{event_id}")
    await page.locator("#reports-link").click()
    line = page.locator("table[data-report='codes'] tr[data-code='MOON20']")
    await expect(line.locator("th, td")).to_have_text(
        ["MOON20", "20% off", "1 of 5", "2", "$10.00", "$40.00", "$36.00"]
    )
    assert await wcag_violations(page) == []
    async with page.expect_download() as download_info:
        await page.locator("a[data-csv='codes']").click()
    path = await (await download_info.value).path()
    [code_row] = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert (code_row["code"], code_row["uses"], code_row["tickets"], code_row["discount_minor"],
            code_row["revenue_minor"]) == ("MOON20", "1", "2", "1000", "4000")  # fmt: skip
