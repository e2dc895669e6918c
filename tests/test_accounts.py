"""Magic-link sign-in and the buyer's /account."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts.services import unseal
from api.db import LoginToken, OrganizerMember, OutboxMessage, utcnow
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token

Client = AsyncTestClient[Litestar]


async def form_token(client: Client, path: str) -> str:
    return csrf_token((await client.get(path)).text)


async def ask_for_link(client: Client, email: str) -> tuple[int, str]:
    csrf = await form_token(client, "/login")
    response = await client.post(
        "/login", data={"_csrf_token": csrf, "email": email}, follow_redirects=False
    )
    return response.status_code, response.headers.get("location", "")


async def latest_link_token(db: AsyncSession, settings: Settings) -> str:
    db.expire_all()
    row = await db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "login_link")
        .order_by(OutboxMessage.created_at.desc())
    )
    assert row is not None
    token = unseal(row.payload["sealed_token"], secret_key=settings.secret_key)
    assert token is not None
    return token


async def confirm(client: Client, token: str) -> tuple[int, str, str]:
    csrf = await form_token(client, f"/login/confirm?token={token}")
    response = await client.post(
        "/login/confirm", data={"_csrf_token": csrf, "token": token}, follow_redirects=False
    )
    return response.status_code, response.headers.get("location", ""), response.text


async def test_known_and_unknown_addresses_get_the_same_answer(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event)
    await factories.paid_order(db, event=event, tier=tier)
    await db.commit()
    known = await ask_for_link(client, "buyer@example.com")
    unknown = await ask_for_link(client, "stranger@example.com")
    malformed = await ask_for_link(client, "not an address")
    assert known == unknown == malformed == (303, "/login?sent=true")
    page = await client.get("/login?sent=true")
    assert "If we have tickets for that address" in pages.text(page.text, "#login-sent")


async def test_a_link_signs_in_once_and_shows_the_buyers_orders(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, name="Reef Sessions")
    tier = await factories.tier(db, event=event)
    order = await factories.paid_order(db, event=event, tier=tier)
    public_id = order.public_id
    await db.commit()
    await ask_for_link(client, "Buyer@Example.com")
    token = await latest_link_token(db, settings)
    # A mail scanner prefetching the link sees the confirm page and uses nothing up.
    prefetch = await client.get(f"/login/confirm?token={token}")
    assert prefetch.status_code == 200
    assert pages.text(prefetch.text, "#confirm-sign-in") == "Sign in"
    status, location, _ = await confirm(client, token)
    assert (status, location) == (303, "/account")
    cookie = client.cookies.get("poctix_session")
    assert cookie
    account = await client.get("/account")
    listed = pages.parse(account.text).select("#orders li a")
    assert [(link["href"], pages.shown(link)) for link in listed] == [
        (f"/passes/{public_id}", "Reef Sessions")
    ]
    again = await confirm(client, token)
    assert again[0] == 400
    assert "expired or was already used" in pages.text(again[2], '[role="alert"]')


async def test_an_expired_link_does_not_sign_in(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await ask_for_link(client, "late@example.com")
    token = await latest_link_token(db, settings)
    await db.execute(update(LoginToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    assert (await confirm(client, token))[0] == 400
    assert (await client.get("/account", follow_redirects=False)).headers["location"] == "/login"


async def test_twenty_concurrent_clicks_of_one_link_make_one_session(
    app: Litestar, db: AsyncSession, settings: Settings
) -> None:
    async with AsyncTestClient(app=app) as client:
        await ask_for_link(client, "fast@example.com")
        token = await latest_link_token(db, settings)
        csrf = await form_token(client, f"/login/confirm?token={token}")

        async def click() -> int:
            response = await client.post(
                "/login/confirm", data={"_csrf_token": csrf, "token": token},
                follow_redirects=False,
            )  # fmt: skip
            return response.status_code

        results = await asyncio.gather(*(click() for _ in range(20)))
    assert sorted(results) == [303] + [400] * 19


async def test_organizer_staff_land_in_the_dashboard(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organizer(db)
    db.add(OrganizerMember(organizer_id=org.id, email="staff@venue.example", role="owner"))
    await db.commit()
    await ask_for_link(client, "staff@venue.example")
    token = await latest_link_token(db, settings)
    assert (await confirm(client, token))[1] == "/admin"


@pytest.mark.parametrize(
    "cookie", ["garbage", "", "A" * 4000, "eyJ9fQ==", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]
)
async def test_a_tampered_session_cookie_means_signed_out(client: Client, cookie: str) -> None:
    client.cookies.set("poctix_session", cookie)
    response = await client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_sign_in_tokens_never_reach_the_logs(
    client: Client, db: AsyncSession, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await ask_for_link(client, "quiet@example.com")
        token = await latest_link_token(db, settings)
        await client.get(f"/login/confirm?token={token}")
        await confirm(client, token)
    # The app's own log lines (the test's HTTP client logs its URLs itself).
    app_lines = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "/login/confirm" in app_lines
    assert token not in app_lines
    row = await db.scalar(select(LoginToken).where(LoginToken.email == "quiet@example.com"))
    assert row is not None
    assert token.encode() not in row.token_hash
