"""The buyer's wallet in a real browser: save passes to the phone, open them in airplane mode,
see a refund arrive, and live with damaged storage."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import BrowserContext, Page, expect

from e2e import door, selling
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp

SAVED = "Saved — open /wallet any time, even offline"


async def buy(context: BrowserContext, app: LiveApp, email: str, quantity: int = 1) -> Page:
    """Get free tickets on the demo event's page; returns the passes page."""
    page = await context.new_page()
    await page.goto(f"{app.url}/e/{door.DEMO}")
    await selling.order(page, tier="General admission", quantity=quantity, email=email)
    await page.wait_for_url(f"{app.url}/passes/**")
    await expect(page.locator("#order-status")).to_have_attribute("data-status", "paid")
    return page


async def buy_and_save(context: BrowserContext, app: LiveApp, email: str) -> tuple[Page, str]:
    """Get one free ticket, save it to this phone; returns the passes page and its QR's text."""
    page = await buy(context, app, email)
    [token] = await door.qr_texts(page)
    await page.get_by_role("button", name="Save to this phone").click()
    await expect(page.locator("#wallet-save-status")).to_contain_text(SAVED, timeout=30_000)
    return page, token


async def open_wallet(context: BrowserContext, app: LiveApp) -> Page:
    wallet = await context.new_page()
    await wallet.goto(f"{app.url}/wallet")
    await expect(wallet.locator("body")).to_have_attribute("data-ready", "true")
    return wallet


async def test_a_saved_pass_opens_in_airplane_mode_and_its_qr_reads_as_the_same_token(
    live_app: LiveApp, context: BrowserContext
) -> None:
    _, token = await buy_and_save(context, live_app, "kai@example.com")

    await airplane_mode(live_app, context)
    wallet = await context.new_page()
    response = await wallet.goto(f"{live_app.url}/wallet")
    assert response is not None
    assert response.from_service_worker
    await expect(wallet.locator("body")).to_have_attribute("data-ready", "true")
    await expect(wallet.locator("#network")).to_have_text("Offline")
    upcoming = wallet.locator("#upcoming")
    await expect(upcoming).to_contain_text("Full Moon")
    await expect(wallet.locator("#past")).to_be_hidden()
    passes = upcoming.locator("button.pass")
    await expect(passes).to_have_count(1)
    await expect(passes).to_have_attribute("data-status", "valid")

    await passes.click()
    await expect(wallet.locator("#pass-view")).to_be_visible()
    await expect(wallet.locator("#pass-title")).to_have_text("General admission")
    await expect(wallet.locator("#pass-hint")).to_contain_text("brightness")
    assert await door.qr_texts(wallet) == [token]
    await wallet.get_by_role("button", name="Close").click()
    await expect(wallet.locator("#pass-view")).to_be_hidden()


async def test_a_refund_reaches_the_wallet_the_next_time_it_is_online(
    live_app: LiveApp, context: BrowserContext
) -> None:
    _, token = await buy_and_save(context, live_app, "lani@example.com")
    await airplane_mode(live_app, context)
    wallet = await open_wallet(context, live_app)
    await expect(wallet.locator("button.pass")).to_have_attribute("data-status", "valid")

    await door.void_pass(live_app, token, reason="refunded")
    await network_back(live_app, context)  # the wallet checks its orders when the network returns

    voided = wallet.locator("button.pass")
    await expect(voided).to_have_attribute("data-status", "void", timeout=20_000)
    await expect(voided).to_contain_text("Void — refunded")
    await voided.click()
    await expect(wallet.locator("#pass-title")).to_have_text("Refunded — do not admit")
    await expect(wallet.locator("#pass-qr")).to_be_hidden()
    await expect(wallet.locator("#pass-hint")).to_be_hidden()

    await airplane_mode(live_app, context)  # and it stays void offline, from a fresh load
    again = await open_wallet(context, live_app)
    await expect(again.locator("button.pass")).to_have_attribute("data-status", "void")


def _foreign_order(public_id: str, *, event: str, organizer: str, days: int) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=days)
    return {
        "public_id": public_id,
        "status": "paid",
        "event": {
            "id": f"ev-{public_id}",
            "name": event,
            "venue": "Lodge hall",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "timezone": "America/Anchorage",
            "organizer": organizer,
        },
        "passes": [
            {
                "id": f"pass-{public_id}",
                "tier": "Lodge seat",
                "status": "valid",
                "void_reason": None,
                "token": "A" * 128,
            }
        ],
        "saved_at": 1,
        "refreshed_at": 1,
        "checked_at": 1,
        "missing": False,
    }


WRITE_RECORDS = """async (records) => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('poctix-wallet', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('orders');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const tx = db.transaction('orders', 'readwrite');
  for (const [key, value] of records) tx.objectStore('orders').put(value, key);
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


async def test_a_corrupt_record_and_vanished_orders_leave_the_rest_of_the_wallet_readable(
    live_app: LiveApp, context: BrowserContext
) -> None:
    page, token = await buy_and_save(context, live_app, "noa@example.com")
    gone_upcoming = "gone-upcoming-aaaaaaaaaa"
    gone_past = "gone-past-bbbbbbbbbbbbbbb"
    await page.evaluate(
        WRITE_RECORDS,
        [
            ["broken", "garbage, not an order"],
            [
                gone_upcoming,
                _foreign_order(gone_upcoming, event="Aurora Night", organizer="Bush Lodge", days=3),
            ],
            [
                gone_past,
                _foreign_order(gone_past, event="Spring Dance", organizer="Co-op", days=-9),
            ],
        ],
    )

    wallet = await open_wallet(context, live_app)
    notes = wallet.locator("#notes")
    await expect(notes).to_contain_text("1 saved item on this phone could not be read")
    upcoming = wallet.locator("#upcoming")
    await expect(upcoming.locator("article.event")).to_have_count(2)
    await expect(upcoming.locator("article.event").first).to_contain_text("Aurora Night")
    await expect(upcoming).to_contain_text("Bush Lodge")
    await expect(upcoming).to_contain_text("Full Moon")
    await expect(wallet.locator("#past")).to_contain_text("Spring Dance")
    await expect(wallet.locator("body")).to_have_attribute("data-checked", "1", timeout=20_000)

    # The orders the server no longer knows are kept and marked, not silently dropped.
    for public_id in (gone_upcoming, gone_past):
        gone = wallet.locator(f"button.pass[data-order='{public_id}']")
        await expect(gone).to_have_attribute("data-status", "missing")
        await expect(gone).to_contain_text("No longer exists")
    await wallet.locator(f"button.pass[data-order='{gone_upcoming}']").click()
    await expect(wallet.locator("#pass-warning")).to_contain_text("order no longer exists")
    await wallet.get_by_role("button", name="Close").click()

    mine = upcoming.locator("button.pass[data-status='valid']")
    await expect(mine).to_have_count(1)
    await mine.click()
    assert await door.qr_texts(wallet) == [token]
    await wallet.get_by_role("button", name="Close").click()

    await wallet.get_by_role("button", name="Remove unreadable items").click()
    await expect(notes).to_be_hidden()
    await expect(wallet.locator("button.pass")).to_have_count(3)
    assert re.search(r"Checked with the server at", await wallet.locator("#checked").inner_text())


async def test_a_signed_in_buyer_saves_every_order_at_once_and_opens_them_offline(
    live_app: LiveApp, context: BrowserContext
) -> None:
    buyer = "mele@example.com"
    first = await buy(context, live_app, buyer, quantity=1)
    second = await buy(context, live_app, buyer, quantity=2)
    tokens = {*await door.qr_texts(first), *await door.qr_texts(second)}
    assert len(tokens) == 3

    page = await context.new_page()
    await door.sign_in(page, live_app, buyer)
    await page.wait_for_url(f"{live_app.url}/account")
    await page.get_by_role("button", name="Save all my passes to this phone").click()
    await expect(page.locator("#wallet-save-status")).to_contain_text(
        f"{SAVED} (3 passes on this phone)", timeout=30_000
    )

    await airplane_mode(live_app, context)
    wallet = await open_wallet(context, live_app)
    events = wallet.locator("#upcoming article.event")
    await expect(events).to_have_count(1)  # two orders, one event
    await expect(events.locator("button.pass[data-status='valid']")).to_have_count(3)
    shown = set()
    for index in range(3):
        await events.locator("button.pass").nth(index).click()
        shown.update(await door.qr_texts(wallet))
        await wallet.get_by_role("button", name="Close").click()
    assert shown == tokens
