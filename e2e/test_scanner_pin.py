"""An optional PIN, set on the phone, locks the scanner's settings and unpairing (and pairing the
phone again from a new link); the door person scans on without it."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page, expect

from e2e import door
from e2e.conftest import LiveApp

PIN = "2580"


async def unlock(page: Page, pin: str) -> None:
    await page.locator("#unlock-pin").fill(pin)
    await page.locator("#unlock-submit").click()


async def test_a_pin_locks_settings_and_unpairing_but_never_scanning(
    live_app: LiveApp, context: BrowserContext
) -> None:
    first, second, _ = await door.demo_tokens(live_app)
    page = await door.pair(context, await door.pairing_url(live_app, "Gate P"), "Gate P")
    settings = page.locator("#settings-open")
    body = page.locator("#settings-body")
    unlock_form = page.locator("#unlock-form")

    # No PIN yet: the settings open at once; set one.
    await settings.click()
    await expect(body).to_be_visible()
    await expect(page.locator("#pin-state")).to_contain_text("No PIN")
    await page.locator("#pin-new").fill(PIN)
    await page.locator("#pin-repeat").fill("2581")
    await page.locator("#pin-save").click()
    await expect(page.locator("#pin-message")).to_have_text("The two PINs differ.")
    await page.locator("#pin-new").fill(PIN)
    await page.locator("#pin-repeat").fill(PIN)
    await page.locator("#pin-save").click()
    await expect(page.locator("#pin-message")).to_have_text(
        "PIN set: settings and unpairing now need it."
    )
    await expect(page.locator("#pin-save")).to_have_text("Change PIN")
    await page.locator("#settings-close").click()
    await expect(page.locator("#scanner")).to_be_visible()
    await expect(settings).to_have_text("Settings (PIN)")

    # Locked, the door scans as ever.
    await door.enter(page, first)
    await expect(page.locator("#verdict")).to_have_attribute("data-code", "admit")

    # The settings ask for the PIN, and say so when it is wrong; the PIN outlives a reload.
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await settings.click()
    await expect(unlock_form).to_be_visible()
    await expect(body).to_be_hidden()
    await unlock(page, "1111")
    await expect(page.locator("#unlock-error")).to_have_text("Wrong PIN.")
    await expect(body).to_be_hidden()
    await unlock(page, PIN)
    await expect(body).to_be_visible()
    await expect(page.locator("#paired-as")).to_contain_text('Paired as "Gate P"')
    await page.locator("#settings-close").click()
    await door.enter(page, second)
    await expect(page.locator("#verdict")).to_have_attribute("data-code", "admit")

    # A new pairing link is unpairing too: the PIN first, and going back keeps the pairing.
    link = await door.pairing_url(live_app, "Gate Q")
    await page.goto(link)
    await expect(unlock_form).to_be_visible()
    await expect(page.locator("#unlock-intro")).to_contain_text("pair it again")
    await page.locator("#settings-close").click()
    await expect(page.locator("#scanner")).to_be_visible()
    await expect(page.locator("#door-name")).to_have_text("Gate P")
    assert "#pair=" not in page.url
    await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)

    # Unpairing, with the PIN: a warning first, then the phone asks for a pairing link.
    await settings.click()
    await unlock(page, PIN)
    await page.locator("#unpair").click()
    await expect(page.locator("#unpair-warning")).to_contain_text("Every scan has been uploaded.")
    await page.locator("#unpair-yes").click()
    await expect(page.locator("#pairing")).to_be_visible()
    await expect(page.locator("#pair-without-code")).to_be_visible()
    await page.reload()
    await expect(page.locator("#pair-without-code")).to_be_visible()
    await expect(page.locator("#scanner")).to_be_hidden()
    scans = await door.stored_scans(live_app)
    assert [(s.door, s.verdict) for s in scans] == [("Gate P", "admit"), ("Gate P", "admit")]
