"""A door phone on HTTPS by name, as on a venue's LAN: `poctix run --https --demo` prints the
pairing link, the phone trusts the local CA, pairs, scans, loses the network for real, scans on,
and every scan reaches the server once the network is back.

The phone opens https://door.test:RELAY (Chromium maps door.test to this machine), through a
relay the test cuts for airplane mode (e2e/relay.py); BASE_URL names that address, so the
server's certificate covers door.test and the printed links point there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright, expect

from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import CHROMIUM_ARGS, _free_port, chromium_path
from e2e.https_app import HttpsApp, run_https_app, trust_local_ca
from e2e.relay import Relay

DOOR_NAME = "door.test"


@pytest.fixture
async def door_site(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[HttpsApp, Relay]]:
    server_port = _free_port()
    relay = Relay(target_port=server_port)
    await relay.start()
    public_url = f"https://{DOOR_NAME}:{relay.port}"
    try:
        with run_https_app(
            database_url, tmp_path, public_url=public_url, port=server_port, relay=relay
        ) as site:
            yield site, relay
    finally:
        await relay.cut()


@pytest.fixture
async def browser(door_site: tuple[HttpsApp, Relay], tmp_path: Path) -> AsyncIterator[Browser]:
    """A Chromium that trusts the server's local CA and resolves door.test to this machine
    (conftest's `context`, with its CSP watch, is built on it)."""
    site, _ = door_site
    trust = trust_local_ca(site.files, tmp_path / "browser-home")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {DOOR_NAME} 127.0.0.1", *trust.args],
            env=trust.env or None,
            headless=True,
        )
        yield launched
        await launched.close()


async def test_a_phone_pairs_by_the_printed_https_link_and_scans_through_airplane_mode(
    door_site: tuple[HttpsApp, Relay], context: BrowserContext
) -> None:
    site, relay = door_site
    link = site.printed("Door scanner")
    assert link.startswith(f"https://{DOOR_NAME}:{relay.port}/scan#pair=")

    trust_page = await context.new_page()
    await trust_page.goto(site.printed("On each phone, once: trust this server"))
    await expect(trust_page.get_by_role("heading", level=1)).to_have_text(
        "Trust this trial server on a phone"
    )
    await expect(trust_page.get_by_role("heading", name="Android")).to_be_visible()
    await trust_page.close()

    page = await door.pair(context, link, "Gate A")
    assert await page.evaluate("isSecureContext")
    await expect(page.locator("#notice")).to_be_hidden()  # neither "needs HTTPS" nor "no Ed25519"
    await expect(page.locator("#status-cache")).to_have_text("3")
    first, second, _ = await door.demo_tokens(site.app)
    verdict = page.locator("#verdict")

    await door.enter(page, first)
    await expect(verdict).to_have_attribute("data-code", "admit")
    await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)
    assert [s.verdict for s in await door.stored_scans(site.app)] == ["admit"]

    await airplane_mode(site.app, context)
    response = await page.reload()
    assert response is not None
    assert response.from_service_worker
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.locator("#status-network")).to_have_text("Offline")
    await door.enter(page, second)
    await expect(verdict).to_have_attribute("data-code", "admit")
    await expect(page.locator("#verdict-detail")).to_contain_text("General admission")
    await expect(page.locator("#status-pending")).to_have_text("1")
    assert len(await door.stored_scans(site.app)) == 1

    await network_back(site.app, context)
    await expect(page.locator("#status-network")).to_have_text("Online")
    await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)
    scans = await door.stored_scans(site.app)
    assert [s.verdict for s in scans] == ["admit", "admit"]
    assert [s.pass_key for s in scans] == [
        await door.pass_key_of(first),
        await door.pass_key_of(second),
    ]
    assert {s.door for s in scans} == {"Gate A"}
