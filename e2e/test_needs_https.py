"""A phone that opens the site over plain HTTP on a LAN name is told to use HTTPS, in words,
with the link: not a scanner that fails later with "update the browser".

`door.lan` is mapped to the live app's loopback address by Chromium's own resolver, so the
origin is http://door.lan:PORT, which (unlike 127.0.0.1 and localhost) is not a secure context.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from e2e import door
from e2e.conftest import CHROMIUM_ARGS, LiveApp, chromium_path

LAN_NAME = "door.lan"
NO_ED25519 = "cannot check pass signatures"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """This module's own Chromium, resolving door.lan to this machine (the `context` fixture
    of conftest, with its CSP watch, is built on it)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"],
            headless=True,
        )
        yield launched
        await launched.close()


def on_lan(app: LiveApp) -> LiveApp:
    port = urlsplit(app.url).port
    return dataclasses.replace(app, url=f"http://{LAN_NAME}:{port}")


async def expect_https_notice(page: Page, https_url: str) -> None:
    notice = page.get_by_role("alert").filter(has_text="This page needs HTTPS")
    await expect(notice).to_have_text(f"This page needs HTTPS: open {https_url}")
    await expect(notice.get_by_role("link")).to_have_attribute("href", https_url)
    await expect(page.get_by_text(NO_ED25519)).to_have_count(0)


async def test_a_scanner_opened_over_plain_http_says_to_open_its_https_address_keeping_the_code(
    live_app: LiveApp, context: BrowserContext
) -> None:
    lan = on_lan(live_app)
    link = (await door.pairing_url(live_app, "Gate A")).replace(live_app.url, lan.url)
    page = await context.new_page()
    await page.goto(link)
    assert not await page.evaluate("isSecureContext")
    await expect_https_notice(page, link.replace("http://", "https://"))
    # The one-time pairing code was not spent on a phone that could not scan.
    await expect(page.locator("#pair-form")).to_be_hidden()
    assert await door.stored_scans(live_app) == []


async def test_the_wallet_and_the_dashboard_over_plain_http_say_to_open_their_https_address(
    live_app: LiveApp, context: BrowserContext
) -> None:
    lan = on_lan(live_app)
    page = await context.new_page()
    await page.goto(f"{lan.url}/wallet")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect_https_notice(page, f"https://{LAN_NAME}:{urlsplit(lan.url).port}/wallet")

    await door.sign_in(page, lan, "owner@driftwood.example")
    await page.goto(f"{lan.url}/admin")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await expect_https_notice(page, f"https://{LAN_NAME}:{urlsplit(lan.url).port}/admin")
