"""The door in airplane mode: one online load, then every verdict offline, then one upload."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, expect

from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp


async def test_scanner_keeps_working_in_airplane_mode_and_uploads_every_scan_once(
    live_app: LiveApp, context: BrowserContext
) -> None:
    admitted, refunded, _ = await door.demo_tokens(live_app)
    await door.void_pass(live_app, refunded)  # refunded before the scanner's last sync
    page = await door.pair(context, await door.pairing_url(live_app, "Gate A"), "Gate A")
    await page.clock.install()
    await expect(page.locator("#status-cache")).to_have_text("3")
    sold_later = await door.issue_pass(live_app)  # after the scanner's last sync
    forged = await door.forged_token(live_app)

    await airplane_mode(live_app, context)
    response = await page.reload()
    assert response is not None
    assert response.from_service_worker
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.locator("#status-network")).to_have_text("Offline")
    verdict = page.locator("#verdict")
    title = page.locator("#verdict-title")

    await door.enter(page, admitted)
    await expect(verdict).to_have_attribute("data-code", "admit")
    await expect(page.locator("#verdict-detail")).to_contain_text("General admission")

    await page.clock.fast_forward(3000)
    await door.enter(page, admitted)
    await expect(verdict).to_have_attribute("data-code", "already_scanned")
    await expect(title).to_have_text(re.compile(r"^Already scanned \d{1,2}:\d\d [AP]M$"))
    await expect(page.locator("#verdict-detail")).to_contain_text("Gate A")
    await expect(page.locator("#admit-anyway")).to_be_visible()

    await door.enter(page, refunded)
    await expect(verdict).to_have_attribute("data-code", "void")
    await expect(title).to_have_text("Refunded — do not admit")

    await door.enter(page, sold_later)
    await expect(verdict).to_have_attribute("data-code", "not_in_cache")
    await expect(title).to_have_text("Valid — not yet in cache")

    await door.enter(page, forged)
    await expect(verdict).to_have_attribute("data-code", "invalid")
    await expect(title).to_have_text("Invalid pass")

    await door.enter(page, door.other_event_token())
    await expect(verdict).to_have_attribute("data-code", "wrong_event")

    await door.enter(page, "not a pass at all")
    await expect(verdict).to_have_attribute("data-code", "invalid")
    await expect(page.locator("#status-pending")).to_have_text("7")
    assert await door.stored_scans(live_app) == []

    await network_back(live_app, context)
    await expect(page.locator("#status-network")).to_have_text("Online")
    await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)
    scans = await door.stored_scans(live_app)
    assert [s.seq for s in scans] == [1, 2, 3, 4, 5, 6, 7]
    assert [s.verdict for s in scans] == [
        "admit",
        "already_scanned",
        "void",
        "not_in_cache",
        "invalid",
        "wrong_event",
        "invalid",
    ]
    assert [s.admitted for s in scans] == [True, False, False, True, False, False, False]
    assert scans[0].pass_key == await door.pass_key_of(admitted)
    assert {s.door for s in scans} == {"Gate A"}
