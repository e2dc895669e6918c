"""Exits and re-entry on two door phones in airplane mode: a guest let in at one door goes out
and back in at the other, which never heard of the first admission. After sync both phones show
the same "Inside now", and nobody is reported as admitted twice."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from api.checkin import sync_service
from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import LiveApp


async def _verdict(page: Page, code: str, title: str) -> None:
    await expect(page.locator("#verdict")).to_have_attribute("data-code", code)
    await expect(page.locator("#verdict-title")).to_have_text(title)


async def test_exit_and_re_entry_on_two_offline_phones_agree_on_inside_now_after_sync(
    live_app: LiveApp, browser: Browser
) -> None:
    first, second, third = await door.demo_tokens(live_app)
    floor = await door.door_list(live_app, "Dance floor", reentry=True)
    link = await door.pairing_url(live_app, "Floor", uses=2, door_list_id=floor)
    async with door.paired_phones(browser, link, "Gate A", "Gate B") as (phones, pages):
        gate_a, gate_b = pages
        await airplane_mode(live_app, *phones)

        # Gate A lets two guests in; the second leaves again through Gate A.
        await door.enter(gate_a, first)
        await _verdict(gate_a, "admit", "Admit")
        await door.enter(gate_a, second)
        await _verdict(gate_a, "admit", "Admit")
        await door.scan_way(gate_a, "out")
        await door.enter(gate_a, second)
        await _verdict(gate_a, "exit", "Exit")
        await expect(gate_a.locator("#status-inside")).to_have_text("1")

        # Gate B never heard of the first guest: scanned out, it says so but counts the exit;
        # back in, it is a re-entry. A third guest comes in at Gate B.
        await door.scan_way(gate_b, "out")
        await door.enter(gate_b, first)
        await _verdict(gate_b, "not_inside", "Not inside")
        await door.scan_way(gate_b, "in")
        await door.enter(gate_b, first)
        await _verdict(gate_b, "admit", "Admit")
        await door.enter(gate_b, third)
        await _verdict(gate_b, "admit", "Admit")
        await expect(gate_b.locator("#status-inside")).to_have_text("2")

        # The toggle is kept on the phone: Gate A still scans people out after a reload.
        await gate_a.reload()
        await expect(gate_a.locator("body")).to_have_attribute("data-ready", "true")
        await expect(gate_a.locator("#direction-out")).to_have_attribute("aria-pressed", "true")

        await network_back(live_app, *phones)
        for page in pages:
            await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)
        # Inside: the first guest (back in at Gate B) and the third; the second went out.
        for page in pages:
            await expect(page.locator("#status-inside")).to_have_text("2", timeout=20_000)
            await expect(page.locator("#status-inside-tiers")).to_have_text("(General admission 2)")
            await expect(page.locator("#alerts li")).to_have_count(0)
            await expect(page.locator("#alerts-empty")).to_be_visible()

    scans = await door.stored_scans(live_app)
    ways = sorted((s.door, s.verdict, s.admitted, s.extra.get("direction")) for s in scans)
    assert ways == [
        ("Gate A", "admit", True, None),
        ("Gate A", "admit", True, None),
        ("Gate A", "exit", False, "out"),
        ("Gate B", "admit", True, None),
        ("Gate B", "admit", True, None),
        ("Gate B", "not_inside", False, "out"),
    ]
    async with door.session_for(live_app) as session:
        event = await door.demo_event(session)
        assert await sync_service.conflicts(session, event_id=event.id) == []
        inside = await sync_service.inside_now(session, event_id=event.id)
    assert inside == {(str(floor), "General admission"): 2}
