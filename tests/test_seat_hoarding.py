"""Seats held by unpaid checkouts (issue 14 item 2): two unpaid checkouts of 10 from one address
held a 20-seat tier for 31 minutes and the next buyer was told "Sold out".

Now one address (IPv6 by /64) and one email hold at most 10 unpaid seats at once, taken in the
checkout's own statement; coming back through Stripe's `cancel_url` releases the hold at once
and expires the Checkout Session; and a tier whose last seats are all held says when some may
come back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Order, TicketTier
from api.formatting import clock
from api.settings import Settings
from tests.shop import Shop, live_with_stripe, order_state, paid_tier
from tests.stripe_standin.standin import StripeStandin


@dataclass
class Counter:
    """A 40-seat paid tier behind a trusted proxy, so each buyer can come from its own address."""

    standin: StripeStandin
    browser: httpx.AsyncClient
    slug: str
    tier_id: uuid.UUID

    async def form(self) -> dict[str, str]:
        """The page's hidden fields (its CSRF token), as the browser holds them."""
        page = await self.browser.get(f"/e/{self.slug}")
        return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))

    async def buy(
        self, quantity: int, *, email: str, address: str, hidden: dict[str, str] | None = None
    ) -> httpx.Response:
        hidden = hidden or await self.form()
        return await self.browser.post(
            f"/e/{self.slug}/checkout",
            data={**hidden, f"qty-{self.tier_id}": str(quantity), "email": email},
            headers={"x-forwarded-for": address},
        )


@pytest.fixture
async def counter(settings: Settings, db: AsyncSession) -> AsyncIterator[Counter]:
    proxied = dataclasses.replace(settings, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    with live_with_stripe(proxied) as (thread, _, standin):
        _, slug, tier_id = await paid_tier(db, standin, name="Deck", capacity=40)
        async with httpx.AsyncClient(base_url=thread.url, timeout=30) as browser:
            yield Counter(standin, browser, slug, tier_id)


def _error(response: httpx.Response) -> str:
    found = BeautifulSoup(response.text, "html.parser").select_one("#form-error")
    return found.get_text() if found else ""


async def _held(db: AsyncSession, tier_id: uuid.UUID) -> int:
    db.expire_all()
    tier = await db.get(TicketTier, tier_id)
    assert tier is not None
    return tier.held


async def test_a_third_checkout_from_one_address_is_refused_past_ten_unpaid_seats(
    counter: Counter, db: AsyncSession
) -> None:
    home = "203.0.113.5"
    assert (await counter.buy(6, email="ana@example.com", address=home)).status_code == 303
    assert (await counter.buy(4, email="bo@example.com", address=home)).status_code == 303
    third = await counter.buy(1, email="cy@example.com", address=home)
    assert third.status_code == 422
    assert _error(third).startswith(
        "Too many tickets are waiting for payment from your connection: at most 10 at a time."
    )
    assert await _held(db, counter.tier_id) == 10
    # Another household is not affected; a phone's IPv6 counts per /64.
    assert (await counter.buy(5, email="di@example.com", address="198.51.100.7")).status_code == 303
    phone = "2001:db8:7:1::10"
    assert (await counter.buy(10, email="ed@example.com", address=phone)).status_code == 303
    same_net = await counter.buy(1, email="fay@example.com", address="2001:db8:7:1:abcd::1")
    assert same_net.status_code == 422
    assert await _held(db, counter.tier_id) == 25


async def test_one_email_cannot_hold_more_than_ten_unpaid_seats_from_any_address(
    counter: Counter, db: AsyncSession
) -> None:
    first = await counter.buy(10, email="hoarder@example.com", address="203.0.113.8")
    assert first.status_code == 303
    again = await counter.buy(1, email="Hoarder@Example.com", address="198.51.100.9")
    assert again.status_code == 422
    assert _error(again).startswith(
        "Too many tickets are waiting for payment from hoarder@example.com: at most 10 at a time."
    )
    # Paying ends the hold: the allowance is back.
    session_id = first.headers["location"].rsplit("/", 1)[-1]
    counter.standin.complete_session(session_id)
    await counter.standin.settle_async()
    after = await counter.buy(4, email="hoarder@example.com", address="198.51.100.9")
    assert after.status_code == 303
    assert await _held(db, counter.tier_id) == 4


async def test_concurrent_checkouts_from_one_address_never_hold_past_the_cap(
    counter: Counter, db: AsyncSession
) -> None:
    hidden = await counter.form()
    answers = await asyncio.gather(
        *(
            counter.buy(3, email=f"b{n}@example.com", address="203.0.113.77", hidden=hidden)
            for n in range(8)
        )
    )
    assert sorted(a.status_code for a in answers) == [303] * 3 + [422] * 5
    assert await _held(db, counter.tier_id) == 9


async def test_coming_back_through_cancel_url_releases_the_hold_and_expires_the_session(
    counter: Counter, db: AsyncSession
) -> None:
    started = await counter.buy(10, email="ana@example.com", address="203.0.113.5")
    session_id = started.headers["location"].rsplit("/", 1)[-1]
    cancel_url = counter.standin.get(session_id)["cancel_url"]
    public_id = cancel_url.split("/passes/")[1].split("/")[0]
    back = await counter.browser.get(cancel_url)
    assert back.status_code == 303
    assert back.headers["location"] == f"/e/{counter.slug}"
    assert (await order_state(db, public_id))[:3] == ("expired", 0, 0)
    assert counter.standin.get(session_id)["status"] == "expired"
    expire = f"/v1/checkout/sessions/{session_id}/expire"
    assert [r.path for r in counter.standin.requests if r.path == expire] == [expire]
    # Again (a reload, the back button): nothing more happens.
    assert (await counter.browser.get(cancel_url)).status_code == 303
    assert len([r for r in counter.standin.requests if r.path == expire]) == 1
    # The seats and the buyer's allowance are free at once.
    assert (
        await counter.buy(10, email="ana@example.com", address="203.0.113.5")
    ).status_code == 303
    # Another order's link is not this one's, and a made-up one is a 404.
    assert (await counter.browser.get("/passes/" + "x" * 22 + "/cancel")).status_code == 404


async def test_a_paid_session_is_not_released_by_its_cancel_url(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.hold()  # the webhook has not arrived yet
    shop.standin.complete_session(session_id)
    back = await shop.browser.get(shop.standin.get(session_id)["cancel_url"])
    assert back.headers["location"] == f"/passes/{public_id}"
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])
    shop.standin.release()
    await shop.standin.settle_async()


async def test_a_tier_held_by_others_says_when_seats_may_come_back(
    shop: Shop, db: AsyncSession, client: AsyncTestClient[Litestar]
) -> None:
    _, public_id = await shop.checkout(quantity=10)
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    assert order.hold_expires_at is not None
    event = await db.get(Event, order.event_id)
    assert event is not None
    # A visitor's first look (a fresh app, so a fresh page snapshot).
    page = BeautifulSoup((await client.get(f"/e/{shop.slug}")).text, "html.parser")
    held = page.select_one("[data-held]")
    assert held is not None
    back_by = clock(order.hold_expires_at, event.timezone)
    assert held.get_text() == f"All 10 left are held in checkouts; some may come back by {back_by}"
    assert page.select_one(f'input[name="qty-{shop.tier_id}"]') is None
