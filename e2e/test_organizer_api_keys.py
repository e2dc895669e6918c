"""Organizer API keys in a real browser: the owner makes a key on the dashboard (shown once),
a script calls the API with it, then the owner revokes it and the API refuses it; the page
passes axe-core's WCAG A/AA checks."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, expect

from api.demo import DEMO_SLUG
from e2e import selling
from e2e.accessibility import AXE, wcag_violations
from e2e.conftest import LiveApp


async def test_an_owner_makes_a_key_a_script_uses_it_and_a_revoked_key_is_refused(
    live_app: LiveApp, context: BrowserContext
) -> None:
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    await selling.owner_signs_in(page, live_app)
    await page.locator("#organizers a", has_text="Profile").first.click()
    await page.locator("a#api-keys").click()
    form = page.locator("#make-key")
    await form.get_by_label("Name").fill("Box office")
    await expect(form.get_by_label(re.compile(r"\(read\)"))).to_be_checked()
    await form.get_by_role("button", name="Make key").click()
    key = await page.locator("[data-new-key]").input_value()
    assert key.startswith("ptx_")
    assert await wcag_violations(page) == []

    script = context.request
    bearer = {"Authorization": f"Bearer {key}"}
    answer = await script.get(f"{live_app.url}/api/v1/events", headers=bearer)
    assert answer.status == 200
    assert DEMO_SLUG in [e["slug"] for e in (await answer.json())["items"]]

    await page.get_by_role("button", name="Revoke Box office").click()
    row = page.locator("#keys tr[data-key='Box office']")
    await expect(row).to_have_attribute("data-state", "revoked")
    await expect(page.locator("[data-new-key]")).to_have_count(0)  # shown once
    refused = await script.get(f"{live_app.url}/api/v1/events", headers=bearer)
    assert refused.status == 401
