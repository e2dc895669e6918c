"""A door phone bound to a door list: the VIP deck's phone turns a General admission pass away
in airplane mode, with the pass's tier, and a change to the list reaches it at its next pull."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import BrowserContext, expect

from api import formatting
from api.db import utcnow
from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp


async def test_a_vip_deck_phone_turns_a_general_pass_away_offline_and_hears_of_a_later_opening(
    live_app: LiveApp, context: BrowserContext
) -> None:
    general = (await door.demo_tokens(live_app))[0]
    deck = await door.door_list(live_app, "VIP deck", tiers=["VIP deck"])
    link = await door.pairing_url(live_app, "Deck stairs", door_list_id=deck)
    page = await door.pair(context, link, "Deck stairs")
    await expect(page.locator("#list-name")).to_have_text("VIP deck")

    await airplane_mode(live_app, context)
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.locator("#list-name")).to_have_text("VIP deck")
    await door.enter(page, general)
    verdict = page.locator("#verdict")
    await expect(verdict).to_have_attribute("data-code", "wrong_list")
    await expect(verdict).to_have_attribute("data-class", "warn")
    await expect(page.locator("#verdict-title")).to_have_text("Wrong door — VIP deck only")
    await expect(page.locator("#verdict-detail")).to_have_text("General admission")
    await expect(page.locator("#admit-anyway")).to_be_hidden()
    await expect(page.locator("#status-admitted")).to_have_text("0")

    # The organizer, online at the office, lets General in too, from two hours on, and
    # renames the list: the phone hears of it at its next pull.
    opens = utcnow() + timedelta(hours=2)
    await door.door_list(
        live_app,
        "Upper deck",
        tiers=["VIP deck", "General admission"],
        opens_at=opens,
        list_id=deck,
    )
    await network_back(live_app, context)
    await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)
    await expect(page.locator("#list-name")).to_have_text("Upper deck", timeout=20_000)
    await door.enter(page, general)
    await expect(verdict).to_have_attribute("data-code", "not_yet")
    async with door.session_for(live_app) as session:
        zone = (await door.demo_event(session)).timezone
    await expect(page.locator("#verdict-title")).to_have_text(
        f"Not yet — opens {formatting.clock(opens, zone)}"
    )
    await expect(page.locator("#verdict-detail")).to_have_text("Upper deck · General admission")

    [turned_away, too_early] = await door.stored_scans(live_app)
    assert (turned_away.verdict, turned_away.admitted) == ("wrong_list", False)
    assert turned_away.extra.get("list") == str(deck)
    assert (too_early.verdict, too_early.admitted) == ("not_yet", False)
