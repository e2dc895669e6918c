"""A passkey in a real Chromium, with its virtual authenticator (CDP `WebAuthn`): the owner adds
one on the Security page, signs out everywhere, and signs back in with it and no email.

WebAuthn needs a secure context and an RP id that is a domain: the app is served as
http://localhost (a secure context; an IP address is not a valid RP id), so BASE_URL, and with
it the RP id and origin, say localhost."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from e2e import door
from e2e.conftest import LiveApp, run_app
from e2e.selling import OWNER


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def localhost_app(database_url: str, tmp_path: Path) -> Iterator[LiveApp]:
    port = _free_port()
    with run_app(database_url, tmp_path, port=port, public_url=f"http://localhost:{port}") as app:
        yield app


async def virtual_authenticator(context: BrowserContext, page: Page) -> None:
    """A platform authenticator with resident keys that verifies the user at once."""
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


async def test_an_owner_adds_a_passkey_signs_out_everywhere_and_signs_in_with_it(
    localhost_app: LiveApp, context: BrowserContext
) -> None:
    app = localhost_app
    page = await context.new_page()
    await virtual_authenticator(context, page)
    await door.sign_in(page, app, OWNER)

    await page.goto(f"{app.url}/admin/security")
    sessions = page.locator("#sessions tr[data-session]")
    await expect(sessions).to_have_count(1)
    await expect(sessions.first).to_contain_text("this browser")
    await expect(page.locator("[data-no-passkeys]")).to_be_visible()
    await page.get_by_label("Name").fill("Laptop")
    await page.get_by_role("button", name="Add a passkey").click()
    await page.wait_for_url("**/admin/security?saved=passkey-added")
    await expect(page.locator('#passkeys tr[data-passkey="Laptop"]')).to_be_visible()

    await page.get_by_role("button", name="Sign out everywhere").click()
    await page.wait_for_url("**/admin/sign-in")
    await page.goto(f"{app.url}/admin/")
    await page.wait_for_url("**/admin/sign-in")

    await page.get_by_role("button", name="Sign in with a passkey").click()
    await page.wait_for_url(f"{app.url}/admin/")
    await page.goto(f"{app.url}/admin/security")
    await expect(page.locator("[data-security-who]")).to_have_text(OWNER)
    used = page.locator('tr[data-passkey="Laptop"] [data-last-used] time')
    await expect(used).to_be_visible()
