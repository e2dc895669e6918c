"""Several door phones: offline double admissions, crashes before upload, camera debounce."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright, expect

from api.checkin import sync_service
from api.passes.tokens import pass_key_text
from e2e import door
from e2e.airplane import airplane_mode, network_back
from e2e.conftest import CHROMIUM_ARGS, LiveApp, chromium_path


async def test_two_doors_offline_admitting_one_pass_report_one_true_conflict(
    live_app: LiveApp, browser: Browser
) -> None:
    token = (await door.demo_tokens(live_app))[0]
    link = await door.pairing_url(live_app, "Door", uses=2)
    async with door.paired_phones(browser, link, "Gate A", "Gate B") as (phones, pages):
        await airplane_mode(live_app, *phones)
        for page in pages:
            await door.enter(page, token)
            await expect(page.locator("#verdict")).to_have_attribute("data-code", "admit")
        await network_back(live_app, *phones)
        # Each phone names the pass (its reference, as the dashboard shows it) and both doors
        # with their times, Gate A's first.
        reference = pass_key_text(await door.pass_key_of(token))
        said = re.compile(
            rf"^Double admission: pass {reference} — "
            r"Gate A \d{1,2}:\d\d [AP]M and Gate B \d{1,2}:\d\d [AP]M$"
        )
        shown = []
        for page in pages:
            alert = page.locator("#alerts li")
            await expect(alert).to_have_text(said, timeout=30_000)
            await expect(alert).to_have_attribute("data-pass-id", reference)
            shown.append(await alert.text_content())

    async with door.session_for(live_app) as session:
        event = await door.demo_event(session)
        found = await sync_service.conflicts(session, event_id=event.id)
    assert len(found) == 1
    [conflict] = found
    assert conflict["kind"] == "conflict"
    assert {conflict["first"]["door"], conflict["other"]["door"]} == {"Gate A", "Gate B"}
    assert conflict["first"]["scanned_at"] <= conflict["other"]["scanned_at"]
    # The phones' times are the server's, in the event's time zone.
    zone = ZoneInfo(event.timezone)

    def at(side: dict[str, Any]) -> str:
        when = datetime.fromtimestamp(side["scanned_at"] / 1000, tz=zone)
        return f"{side['door']} {when.strftime('%I:%M %p').lstrip('0')}"

    both = f"{at(conflict['first'])} and {at(conflict['other'])}"
    assert shown == [f"Double admission: pass {reference} — {both}"] * 2


async def test_scans_queued_offline_survive_the_page_closing_and_upload_once_in_order(
    live_app: LiveApp, context: BrowserContext
) -> None:
    tokens = await door.demo_tokens(live_app)
    page = await door.pair(context, await door.pairing_url(live_app, "Gate C"), "Gate C")
    await airplane_mode(live_app, context)
    for token in tokens:
        await door.enter(page, token)
    await expect(page.locator("#status-pending")).to_have_text("3")
    await page.close()  # the phone's browser was killed before anything was uploaded

    await network_back(live_app, context)
    reopened = await context.new_page()
    await reopened.goto(f"{live_app.url}/scan")
    await expect(reopened.locator("body")).to_have_attribute("data-ready", "true")
    await expect(reopened.locator("#status-pending")).to_have_text("0", timeout=20_000)
    scans = await door.stored_scans(live_app)
    assert [s.seq for s in scans] == [1, 2, 3]
    assert [s.pass_key for s in scans] == [await door.pass_key_of(t) for t in tokens]
    assert [s.verdict for s in scans] == ["admit", "admit", "admit"]


@pytest.fixture
async def camera_phone(live_app: LiveApp, tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A phone whose camera shows the first demo pass, held steady in front of the lens."""
    token = (await door.demo_tokens(live_app))[0]
    video = door.write_y4m(tmp_path / "pass.y4m", token)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        context = await browser.new_context(service_workers="allow", permissions=["camera"])
        yield context
        await browser.close()


async def test_a_pass_held_in_front_of_the_camera_for_5_seconds_gives_one_verdict(
    live_app: LiveApp, camera_phone: BrowserContext
) -> None:
    page = await door.pair(camera_phone, await door.pairing_url(live_app, "Gate D"), "Gate D")
    # The camera starts by itself once the scanner is ready (permission already granted).
    verdict = page.locator("#verdict")
    await expect(verdict).to_have_attribute("data-code", "admit", timeout=30_000)
    video = page.locator("#camera-video")
    await page.wait_for_function(
        # A function, not an expression: Playwright evals expressions in the page, which the
        # Content-Security-Policy (rightly) forbids.
        "() => Number(document.getElementById('camera-video').dataset.inViewMs) >= 5000",
        timeout=30_000,
    )
    assert int(await video.get_attribute("data-in-view-ms") or "0") >= 5000
    await expect(verdict).to_have_attribute("data-count", "1")
    await expect(page.locator("#status-pending")).to_have_text("0", timeout=20_000)
    scans = await door.stored_scans(live_app)
    assert [(s.seq, s.verdict) for s in scans] == [(1, "admit")]
