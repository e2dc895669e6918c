"""The scanner version each door phone runs reaches the device list: its sync calls name the
service worker's shell cache (the hash of the app's files), first 12 characters."""

from __future__ import annotations

from playwright.async_api import BrowserContext, expect
from sqlalchemy import select

from api.db import ScannerDevice
from api.web.pwa import pwa_dir, tree_hash
from e2e import door
from e2e.conftest import LiveApp


async def test_a_phone_reports_the_scanner_version_it_runs(
    live_app: LiveApp, context: BrowserContext
) -> None:
    token = (await door.demo_tokens(live_app))[0]
    page = await door.pair(context, await door.pairing_url(live_app, "Gate V"), "Gate V")
    # Installed and in control: the next sync call names the version.
    await door.enter(page, token)
    await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)
    async with door.session_for(live_app) as session:
        device = await session.scalar(select(ScannerDevice).where(ScannerDevice.name == "Gate V"))
    assert device is not None
    assert device.app_version == tree_hash(pwa_dir())[:12]
