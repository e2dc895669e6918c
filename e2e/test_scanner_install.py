"""The scanner as an installed app: manifest, service worker, updates, handheld scanners."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from api.web.pwa import pwa_dir, tree_hash
from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp, run_app_behind_relay


async def test_scanner_is_installable_with_a_root_scoped_worker(
    live_app: LiveApp, context: BrowserContext
) -> None:
    page = await door.pair(context, await door.pairing_url(live_app, "Gate A"), "Gate A")
    href = await page.locator("link[rel=manifest]").get_attribute("href")
    response = await page.request.get(f"{live_app.url}{href}")
    manifest = await response.json()
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/scan"
    assert manifest["name"]
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        icon_response = await page.request.get(f"{live_app.url}{icon['src']}")
        assert icon_response.status == 200
        assert icon_response.headers["content-type"] == "image/png"
    scope = await page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{live_app.url}/"
    assert await page.evaluate("navigator.serviceWorker.controller !== null")


async def test_a_handheld_scanner_typing_a_code_and_enter_gets_a_verdict(
    live_app: LiveApp, context: BrowserContext
) -> None:
    token = (await door.demo_tokens(live_app))[0]
    page = await door.pair(context, await door.pairing_url(live_app, "Gate A"), "Gate A")
    await page.locator("body").click(position={"x": 5, "y": 5})
    await page.keyboard.type(token, delay=2)
    await page.keyboard.press("Enter")
    await expect(page.locator("#verdict")).to_have_attribute("data-code", "admit")
    await expect(page.locator("#verdict")).to_have_attribute("data-count", "1")


@pytest.fixture
def pwa_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "pwa"
    shutil.copytree(pwa_dir(), copy)
    return copy


async def test_a_new_version_takes_over_without_losing_queued_scans(
    database_url: str, tmp_path: Path, pwa_copy: Path, context: BrowserContext
) -> None:
    async with run_app_behind_relay(database_url, tmp_path, PWA_DIR=str(pwa_copy)) as app:
        tokens = await door.demo_tokens(app)
        page = await door.pair(context, await door.pairing_url(app, "Gate A"), "Gate A")
        old = tree_hash(pwa_copy)
        await page.wait_for_function(
            "async (name) => (await caches.keys()).includes(name)", arg=f"poctix-shell-{old}"
        )
        await airplane_mode(app, context)
        for token in tokens[:2]:
            await door.enter(page, token)
        await expect(page.locator("#status-pending")).to_have_text("2")

        with (pwa_copy / "scanner" / "scanner.css").open("a") as css:
            css.write("\n/* new version */\n")
        new = tree_hash(pwa_copy)
        await network_back(app, context)  # the page looks for updates when the network returns
        await expect(page.locator("#update")).to_be_visible(timeout=30_000)
        async with page.expect_event("load"):
            await page.locator("#update-apply").click()
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)
        assert await page.evaluate("caches.keys()") == [f"poctix-shell-{new}"]
        scans = await door.stored_scans(app)
        assert [s.seq for s in scans] == [1, 2]
