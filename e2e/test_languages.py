"""A German phone: the event page in German (its date and euros the German way), the switcher
back to English, and the door scanner's verdicts in German, offline as online."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from e2e import door
from e2e.conftest import LiveApp


async def test_a_german_phone_reads_the_event_page_and_the_door_verdicts_in_german(
    live_app: LiveApp, browser: Browser
) -> None:
    context = await browser.new_context(locale="de-DE", service_workers="allow")
    try:
        page = await context.new_page()
        await page.goto(f"{live_app.url}/e/{door.DEMO}")
        await expect(page.locator("html")).to_have_attribute("lang", "de")
        await expect(page.locator("form[action$='/checkout'] button[type=submit]")).to_have_text(
            "Tickets holen"
        )
        await expect(page.locator("main time")).to_have_text(re.compile(r"^\w+, \d{1,2}\. \w+"))
        await page.locator("[data-language='en']").click()
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(page.locator("form[action$='/checkout'] button[type=submit]")).to_have_text(
            "Get tickets"
        )

        admitted, refunded, _ = await door.demo_tokens(live_app)
        await door.void_pass(live_app, refunded)
        scanner = await door.pair(context, await door.pairing_url(live_app, "Tor A"), "Tor A")
        await expect(scanner.locator("html")).to_have_attribute("lang", "de")
        await expect(scanner.locator("#manual-submit")).to_have_text("Prüfen")  # fixed words too
        await expect(scanner.locator("#settings-open")).to_have_text("Einstellungen")  # and JS's
        await expect(scanner.locator("#manual-code")).to_have_attribute(
            "placeholder", "Ticketcode eingeben oder einfügen"
        )
        title = scanner.locator("#verdict-title")
        await door.enter(scanner, admitted)
        await expect(title).to_have_text("Einlass")
        await door.enter(scanner, refunded)
        await expect(title).to_have_text("Erstattet — kein Einlass")
        await door.enter(scanner, admitted)  # not a repeat read: another code came between
        await expect(title).to_have_text(re.compile(r"^Bereits gescannt \d{1,2}:\d\d$"))
        await expect(scanner.locator("#verdict-detail")).to_contain_text("Zuerst eingelassen an")
    finally:
        await context.close()
