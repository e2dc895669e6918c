"""Helpers for the suites that sell: the demo organizer's owner on the dashboard, the organizer's
Stripe account, and a buyer's order on an event page (or a partner's ticket box) paid in the
Stripe stand-in's Checkout, each step as a person takes it."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, FrameLocator, Page, expect
from sqlalchemy import select

from api.db import Organizer
from api.demo import DEMO_OWNER
from e2e import door
from e2e.conftest import LiveApp
from tests.stripe_standin.standin import StripeStandin

OWNER = DEMO_OWNER
"""The demo organizer's owner (api/demo.py)."""


async def owner_signs_in(page: Page, app: LiveApp) -> None:
    """The demo organizer's owner signs in by magic link and lands on the dashboard."""
    await door.sign_in(page, app, OWNER)
    await page.wait_for_url(re.compile(r".*/admin/?$"))


async def create_published_event(page: Page, app: LiveApp) -> str:
    """Through the dashboard's forms: an event with two tiers, published. Returns its id."""
    await page.goto(f"{app.url}/admin/")
    await page.get_by_role("link", name="New event").first.click()
    await page.get_by_label("Name", exact=True).fill("Reef Night")
    await page.get_by_label("Address (slug)").fill("reef-night")
    await page.get_by_label("Venue").fill("Driftwood beach")
    await page.locator("input[name=timezone]").fill("Pacific/Honolulu")
    await page.get_by_label("Starts").fill("2031-07-04T19:00")
    await page.get_by_label("Ends").fill("2031-07-04T23:00")
    await page.get_by_role("button", name="Create the event").click()
    await expect(page.locator("#status")).to_have_attribute("data-published", "false")
    event_id = page.url.rstrip("/").split("/")[-1]
    for name, capacity in (("Sand", "40"), ("Deck", "10")):
        await page.locator("#new-tier").click()
        await page.get_by_label("Name", exact=True).fill(name)
        await page.get_by_label("Price").fill("0")
        await page.get_by_label("Capacity").fill(capacity)
        await page.get_by_label("Most tickets per order").fill("4")
        await page.get_by_role("button", name="Add the tier").click()
        await expect(page.locator(f"#tiers [data-tier='{name}']")).to_be_visible()
    await page.locator("#publish").click()
    await expect(page.locator("#status")).to_have_attribute("data-published", "true")
    return event_id


async def take_payments(app: LiveApp, standin: StripeStandin, *, country: str = "US") -> str:
    """The demo organizer onboarded to Stripe: a connected account that may take charges.
    Returns the account's id."""
    account: str = standin.create_account(charges_enabled=True, country=country)["id"]
    async with door.session_for(app) as session:
        organizer = await session.scalar(select(Organizer))
        assert organizer is not None
        organizer.stripe_account_id = account
        organizer.charges_enabled = True
        await session.commit()
    return account


async def order(
    shop: Page | FrameLocator, *, tier: str, quantity: int, email: str, name: str | None = None
) -> None:
    """On the event page (or ticket box) already open: `quantity` tickets of `tier` for `email`
    (and the buyer's `name`, when given), and "Get tickets" pressed."""
    await shop.locator(f"[data-tier='{tier}']").get_by_label("Quantity").fill(str(quantity))
    await shop.get_by_label("Email").fill(email)
    if name is not None:
        await shop.get_by_label("Name", exact=True).fill(name)
    await shop.get_by_role("button", name="Get tickets").click()


async def buy_free(context: BrowserContext, app: LiveApp, slug: str, tier: str) -> list[str]:
    """One free ticket of `tier` on `/e/{slug}` in a tab of `context`; the pass's QR text."""
    page = await context.new_page()
    await page.goto(f"{app.url}/e/{slug}")
    await order(page, tier=tier, quantity=1, email="nalu@example.com")
    await page.wait_for_url(f"{app.url}/passes/**")
    await expect(page.locator(".qr")).to_have_count(1)
    tokens = await door.qr_texts(page)
    await page.close()
    return tokens


async def pay(page: Page, app: LiveApp, standin: StripeStandin) -> None:
    """On Stripe Checkout (the stand-in's page): pay, and land on the passes, paid."""
    await page.wait_for_url(f"{standin.url}/pay/**")
    await page.locator("#pay").click()
    await page.wait_for_url(f"{app.url}/passes/**")
    await expect(page.locator("#order-status")).to_have_attribute("data-status", "paid")
