"""A live POCtix (in a server thread) wired to the Stripe stand-in, with a paid event.

The app runs on a real loopback port because the stand-in delivers webhooks over HTTP; the test
drives it with httpx like a browser would (cookies, the form's CSRF token).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import (
    Order,
    Organizer,
    OrganizerMember,
    OutboxMessage,
    Pass,
    PassStatus,
    TicketTier,
)
from api.settings import Settings
from tests import factories
from tests.forms import csrf_token
from tests.stripe_standin.server import ServerThread
from tests.stripe_standin.standin import StripeStandin

OPERATOR = ("operator", "correct horse battery staple")


@dataclass
class Shop:
    url: str
    settings: Settings
    standin: StripeStandin
    browser: httpx.AsyncClient
    slug: str
    tier_id: uuid.UUID
    account: str

    async def buy(self, quantity: int = 2, email: str = "buyer@example.com") -> httpx.Response:
        """Fill in the event page's form and submit it; returns the 303 (or the form again)."""
        page = await self.browser.get(f"/e/{self.slug}")
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        return await self.browser.post(
            f"/e/{self.slug}/checkout",
            data={**hidden, f"qty-{self.tier_id}": str(quantity), "email": email},
        )

    async def checkout(self, quantity: int = 2) -> tuple[str, str]:
        """Start a paid checkout; returns (session id, order public id)."""
        response = await self.buy(quantity)
        assert response.status_code == 303, response.text
        session_id = response.headers["location"].rsplit("/", 1)[-1]
        session = self.standin.get(session_id)
        return session_id, session["success_url"].split("/passes/")[1].split("?")[0]

    async def sign_in(self, db: AsyncSession, email: str) -> None:
        """Sign the browser in as `email` by magic link: the one the outbox would email."""
        from api.accounts.services import unseal

        login = await self.browser.get("/login")
        await self.browser.post(
            "/login", data={"_csrf_token": csrf_token(login.text), "email": email}
        )
        row = await db.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.kind == "login_link", OutboxMessage.payload["email"].astext == email
            )
            .order_by(OutboxMessage.created_at.desc())
        )
        assert row is not None
        token = unseal(row.payload["sealed_token"], secret_key=self.settings.secret_key) or ""
        confirm = await self.browser.get(f"/login/confirm?token={token}")
        done = await self.browser.post(
            "/login/confirm", data={"_csrf_token": csrf_token(confirm.text), "token": token}
        )
        assert done.status_code == 303

    async def staff_signs_in(self, db: AsyncSession, email: str, role: str = "owner") -> None:
        """`email` joins the shop's organizer as `role` and signs the browser in."""
        organizer = await db.scalar(
            select(Organizer).where(Organizer.stripe_account_id == self.account)
        )
        assert organizer is not None
        db.add(OrganizerMember(organizer_id=organizer.id, email=email, role=role))
        await db.commit()
        await self.sign_in(db, email)


async def order_state(db: AsyncSession, public_id: str) -> tuple[str, int, int, list[str]]:
    """(order status, tier sold, tier held, pass statuses) as the database has them."""
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    tier = await db.scalar(select(TicketTier).where(TicketTier.event_id == order.event_id))
    assert tier is not None
    statuses = list(
        await db.scalars(select(Pass.status).where(Pass.order_id == order.id).order_by(Pass.id))
    )
    return order.status, tier.sold, tier.held, statuses


async def valid_passes(db: AsyncSession) -> int:
    return int(
        await db.scalar(
            select(func.count()).select_from(Pass).where(Pass.status == PassStatus.valid)
        )
        or 0
    )


@contextlib.contextmanager
def live_with_stripe(
    settings: Settings, *, name: str = "poctix", operator: tuple[str, str] = OPERATOR
) -> Iterator[tuple[ServerThread, Settings, StripeStandin]]:
    """The app serving on a loopback port, talking to a Stripe stand-in whose webhooks come back
    to it; yields (server thread, the app's settings, the stand-in)."""
    holder: dict[str, Any] = {}

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        await holder["app"](scope, receive, send)

    with StripeStandin() as standin:
        thread = ServerThread(asgi, name=name)
        live = dataclasses.replace(
            settings,
            base_url=thread.url,
            stripe_secret_key=standin.api_key,
            stripe_api_base=standin.url,
            stripe_webhook_secret=standin.webhook_secret,
            stripe_connect_webhook_secret=standin.connect_webhook_secret,
            admin_username=operator[0],
            admin_password=operator[1],
        )
        holder["app"] = create_app(live)
        thread.start()
        standin.webhook_url = f"{thread.url}/webhooks/stripe"
        standin.connect_webhook_url = f"{thread.url}/webhooks/stripe-connect"
        try:
            yield thread, live, standin
        finally:
            thread.stop()


async def paid_tier(
    db: AsyncSession, standin: StripeStandin, *, name: str, capacity: int
) -> tuple[str, str, uuid.UUID]:
    """An organizer onboarded to the stand-in (a connected account that may take charges) with
    an event and one $25.00 tier (committed): the account's id, the event's slug, the tier's id."""
    account: str = standin.create_account(charges_enabled=True)["id"]
    organizer = await factories.organizer(db)
    organizer.stripe_account_id = account
    organizer.charges_enabled = True
    event = await factories.event(db, org=organizer)
    tier = await factories.tier(db, event=event, name=name, price_minor=2500, capacity=capacity)
    await db.commit()
    return account, event.slug, tier.id


@pytest.fixture
async def shop(settings: Settings, db: AsyncSession) -> AsyncIterator[Shop]:
    with live_with_stripe(settings) as (thread, live, standin):
        account, slug, tier_id = await paid_tier(db, standin, name="VIP", capacity=10)
        async with httpx.AsyncClient(base_url=thread.url, timeout=30) as browser:
            yield Shop(thread.url, live, standin, browser, slug, tier_id, account)
