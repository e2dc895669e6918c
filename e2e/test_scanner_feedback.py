"""A loud, dark doorway: a sound and a buzz per verdict class (with a mute kept on the phone),
a shape per verdict class that reads without colour (checked with axe-core), the torch where
the camera has one, and the switch between front and back cameras."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from e2e import door
from e2e.airplane import airplane_mode
from e2e.conftest import CHROMIUM_ARGS, CSP_WATCH, LiveApp, chromium_path

AXE = Path(__file__).parents[1] / "node_modules" / "axe-core" / "axe.min.js"

# What the phone did for each verdict: the vibration patterns it asked for and the tones it
# started (Web Audio oscillators), recorded before the scanner's own code loads.
RECORD_FEEDBACK = """
window.__feedback = { buzzes: [], tones: 0 };
Navigator.prototype.vibrate = function (pattern) {
  window.__feedback.buzzes.push(Array.from(pattern));
  return true;
};
const createOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  const oscillator = createOscillator.call(this);
  const start = oscillator.start.bind(oscillator);
  oscillator.start = (when) => { window.__feedback.tones += 1; start(when); };
  return oscillator;
};
"""

# A camera whose track says it has a torch (Chromium's fake camera has none, and refuses the
# constraint), as a phone's back camera does; it records what the scanner asks of the torch.
TORCH_CAMERA = """
window.__torch = [];
const getCapabilities = MediaStreamTrack.prototype.getCapabilities;
MediaStreamTrack.prototype.getCapabilities = function () {
  return { ...getCapabilities.call(this), torch: true };
};
const applyConstraints = MediaStreamTrack.prototype.applyConstraints;
MediaStreamTrack.prototype.applyConstraints = function (constraints) {
  const sets = (constraints && constraints.advanced) || [];
  if (!sets.some((set) => 'torch' in set)) return applyConstraints.call(this, constraints);
  window.__torch.push(JSON.parse(JSON.stringify(constraints)));
  return Promise.resolve();
};
"""


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now."""
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => {
          const result = await axe.run(document, { resultTypes: ['violations'] });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(' ')),
          }));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


async def feedback_of(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate("() => window.__feedback")
    return result


async def test_each_verdict_class_sounds_buzzes_and_shows_its_own_shape_and_passes_axe(
    live_app: LiveApp, context: BrowserContext
) -> None:
    admitted = (await door.demo_tokens(live_app))[0]
    await context.add_init_script(RECORD_FEEDBACK)
    await context.add_init_script(path=str(AXE))
    # Before the page loads: the door reads Date.now as it was when it started.
    await context.clock.install()
    page = await door.pair(context, await door.pairing_url(live_app, "Gate S"), "Gate S")
    verdict = page.locator("#verdict")
    sound = page.locator("#sound-toggle")
    # Pairing was a tap: the browser let the scanner start its audio.
    await expect(sound).to_have_attribute("data-state", "on")
    assert await serious_violations(page) == []
    # Offline, so the page clock alone says when the same code may count again (online, each
    # sync would set the phone's clock offset back to the server's time).
    await airplane_mode(live_app, context)

    steps = [
        (admitted, "admit", "admit", ".sign-admit", "Admit"),
        (admitted, "already_scanned", "warn", ".sign-warn", "Already scanned"),
        ("not a pass at all", "invalid", "refuse", ".sign-refuse", "Invalid pass"),
    ]
    buzzes = []
    for code, verdict_code, verdict_class, sign, title in steps:
        before = await feedback_of(page)
        await page.clock.fast_forward(3000)  # past the two-second debounce of the same code
        await door.enter(page, code)
        await expect(verdict).to_have_attribute("data-code", verdict_code)
        await expect(verdict).to_have_attribute("data-class", verdict_class)
        await expect(page.locator("#verdict-title")).to_contain_text(title)
        # One shape shows, the others not: the class reads without its colour.
        await expect(verdict.locator(sign)).to_be_visible()
        await expect(verdict.locator(".sign:visible")).to_have_count(1)
        after = await feedback_of(page)
        assert after["tones"] > before["tones"], f"no sound for {verdict_class}"
        assert len(after["buzzes"]) == len(before["buzzes"]) + 1
        buzzes.append(json.dumps(after["buzzes"][-1]))
        assert await serious_violations(page) == [], f"after a {verdict_class} verdict"
    assert len(set(buzzes)) == 3, f"each class buzzes its own way: {buzzes}"

    # Muted: the next verdict still buzzes but makes no sound, and the phone keeps the choice.
    await sound.click()
    await expect(sound).to_have_text("Sound off")
    before = await feedback_of(page)
    await page.clock.fast_forward(3000)
    await door.enter(page, "still not a pass")
    after = await feedback_of(page)
    assert after["tones"] == before["tones"]
    assert len(after["buzzes"]) == len(before["buzzes"]) + 1
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.locator("#sound-toggle")).to_have_attribute("data-state", "off")
    await page.locator("#sound-toggle").click()
    await expect(page.locator("#sound-toggle")).to_have_attribute("data-state", "on")


@pytest.fixture
async def two_camera_browser() -> AsyncIterator[Browser]:
    """A Chromium with two fake cameras (neither says which way it faces, neither has a torch)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream=device-count=2",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield browser
        await browser.close()


async def camera_phone(browser: Browser, *scripts: str) -> BrowserContext:
    context = await browser.new_context(service_workers="allow", permissions=["camera"])
    for script in (CSP_WATCH, *scripts):
        await context.add_init_script(script)
    return context


async def test_the_door_switches_camera_and_keeps_it_and_sees_no_torch_where_there_is_none(
    live_app: LiveApp, two_camera_browser: Browser
) -> None:
    phone = await camera_phone(two_camera_browser)
    try:
        page = await door.pair(phone, await door.pairing_url(live_app, "Gate T"), "Gate T")
        video = page.locator("#camera-video")
        await expect(page.locator("#camera-toggle")).to_have_text("Stop camera", timeout=20_000)
        await expect(page.locator("#camera-torch")).to_be_hidden()
        first = await video.get_attribute("data-device-id")
        assert first
        await page.locator("#camera-switch").click()
        await expect(video).not_to_have_attribute("data-device-id", first, timeout=20_000)
        await expect(video).not_to_have_attribute("data-device-id", "")
        second = await video.get_attribute("data-device-id")
        await page.reload()
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await expect(page.locator("#camera-video")).to_have_attribute(
            "data-device-id", second or "", timeout=20_000
        )
    finally:
        await phone.close()


async def test_the_torch_turns_on_and_off_where_the_camera_has_one(
    live_app: LiveApp, two_camera_browser: Browser
) -> None:
    phone = await camera_phone(two_camera_browser, TORCH_CAMERA)
    try:
        page = await door.pair(phone, await door.pairing_url(live_app, "Gate U"), "Gate U")
        torch = page.locator("#camera-torch")
        await expect(torch).to_be_visible(timeout=20_000)
        await expect(torch).to_have_attribute("aria-pressed", "false")
        await torch.click()
        await expect(torch).to_have_attribute("aria-pressed", "true")
        await torch.click()
        await expect(torch).to_have_attribute("aria-pressed", "false")
        asked = await page.evaluate("() => window.__torch")
        assert asked == [{"advanced": [{"torch": True}]}, {"advanced": [{"torch": False}]}]
        # Off with the camera: no torch left burning in a pocket.
        await page.locator("#camera-toggle").click()
        await expect(torch).to_be_hidden()
    finally:
        await phone.close()
