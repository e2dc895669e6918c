"""The scanner's own numbers: people this phone let in, inside now, scans waiting to upload, the
last sync, and a warning when the phone believes it is online but has not synced for 10 minutes
(a venue Wi-Fi with no way out). Time moves by the page clock, never by sleeping."""

from __future__ import annotations

from playwright.async_api import BrowserContext, expect

from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp


async def test_a_phone_online_but_cut_off_for_10_minutes_says_so_and_counts_its_own_scans(
    live_app: LiveApp, context: BrowserContext
) -> None:
    first, second, _ = await door.demo_tokens(live_app)
    # Before the page loads: the door reads Date.now as it was when it started.
    await context.clock.install()
    page = await door.pair(context, await door.pairing_url(live_app, "Gate N"), "Gate N")
    admitted = page.locator("#status-admitted")
    pending = page.locator("#status-pending")
    synced = page.locator("#status-last-sync")
    warning = page.locator("#sync-stale")
    inside = page.locator("#status-inside")
    await expect(admitted).to_have_text("0")
    await expect(inside).to_have_text("0")

    await door.enter(page, first)
    await expect(admitted).to_have_text("1")
    await expect(inside).to_have_text("1")
    await expect(pending).to_have_text("0", timeout=20_000)
    await expect(synced).to_have_text("just now")

    # The venue's Wi-Fi stays up but leads nowhere: the phone still believes it is online.
    await airplane_mode(live_app)
    await door.enter(page, second)
    await expect(admitted).to_have_text("2")
    await expect(pending).to_have_text("1")
    await page.clock.fast_forward("09:00")
    await expect(synced).to_have_text("9 min ago")
    await expect(warning).to_be_hidden()
    await page.clock.fast_forward("02:00")
    await expect(synced).to_have_text("11 min ago")
    await expect(warning).to_be_visible()
    await expect(warning).to_have_text(
        "Not synced for 11 min while online: check the Wi-Fi or mobile data. "
        "Scans are kept on this phone until they upload."
    )
    await expect(page.locator("#status-network")).to_have_text("Online")

    # Offline, the badge says why nothing syncs: no warning on top of it.
    await airplane_mode(live_app, context)
    await expect(page.locator("#status-network")).to_have_text("Offline")
    await expect(warning).to_be_hidden()

    await network_back(live_app, context)
    await expect(pending).to_have_text("0", timeout=20_000)
    await expect(synced).to_have_text("just now")
    await expect(warning).to_be_hidden()
    await expect(admitted).to_have_text("2")
    await expect(inside).to_have_text("2")
    scans = await door.stored_scans(live_app)
    assert [(s.seq, s.admitted) for s in scans] == [(1, True), (2, True)]
