"""Passkeys for staff (issue 18 item 4): registered from the Security page, used on
/admin/sign-in, each challenge answered once, a counter that goes back refused, and owners who
require them closing the magic link to members who have one."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import AuditEntry, Passkey, PasskeyChallenge, utcnow
from api.settings import Settings
from tests.forms import csrf_token
from tests.passkey_authenticator import SoftAuthenticator
from tests.test_accounts import ask_for_link, confirm, latest_link_token
from tests.test_dashboard import sign_in
from tests.test_getting_in import OPERATOR, operator_sign_in
from tests.test_members import OWNER, reef

Client = AsyncTestClient[Litestar]
ORIGIN = "http://testserver.local"
HTML = {"accept": "text/html"}
JSON = "application/json"


async def security_page(client: Client) -> BeautifulSoup:
    page = await client.get("/admin/security", headers=HTML)
    assert page.status_code == 200
    return BeautifulSoup(page.text, "html.parser")


async def add_passkey(
    client: Client, name: str = "Work laptop", authenticator: SoftAuthenticator | None = None
) -> tuple[SoftAuthenticator, httpx.Response]:
    """What pwa/dashboard/passkeys.js does on the Security page."""
    token = csrf_token((await client.get("/admin/security", headers=HTML)).text)
    headers = {"x-csrftoken": token, "accept": JSON}
    options = (await client.post("/admin/security/passkeys/options", headers=headers)).json()
    authenticator = authenticator or SoftAuthenticator(origin=ORIGIN)
    answer = await client.post(
        "/admin/security/passkeys",
        json={"name": name, "credential": authenticator.create(options)},
        headers=headers,
    )
    return authenticator, answer


def token_of(page: BeautifulSoup) -> str:
    found = page.select_one('input[name="_csrf_token"]')
    assert found is not None
    return str(found["value"])


async def sign_in_options(client: Client) -> tuple[dict[str, Any], dict[str, str]]:
    token = csrf_token((await client.get("/admin/sign-in", headers=HTML)).text)
    headers = {"x-csrftoken": token, "accept": JSON}
    options = await client.post("/admin/sign-in/passkey/options", headers=headers)
    assert options.status_code == 200
    return options.json(), headers


async def passkey_sign_in(
    client: Client, authenticator: SoftAuthenticator, *, counter_step: int = 1
) -> httpx.Response:
    """What pwa/dashboard/passkeys.js does on /admin/sign-in."""
    options, headers = await sign_in_options(client)
    credential = authenticator.get(options, counter_step=counter_step)
    return await client.post(
        "/admin/sign-in/passkey", json={"credential": credential}, headers=headers
    )


@contextlib.contextmanager
def another_browser(client: Client) -> Iterator[Client]:
    """The same test client with no cookies: another browser, until the block ends. (A second
    test client on the same app would run its lifespan in another thread at the same time.)"""
    own = httpx.Cookies(client.cookies)
    client.cookies = httpx.Cookies()
    try:
        yield client
    finally:
        client.cookies = own


async def dashboard_opens(client: Client) -> bool:
    page = await client.get("/admin/", headers=HTML, follow_redirects=False)
    return page.status_code == 200


async def test_a_member_adds_a_passkey_then_signs_in_with_it_on_another_browser(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    await sign_in(client, db, settings, OWNER)
    authenticator, added = await add_passkey(client, "  Work   laptop ")
    assert added.status_code == 201, added.text
    shown = (await security_page(client)).select("#passkeys tr[data-passkey]")
    assert [row["data-passkey"] for row in shown] == ["Work laptop"]

    with another_browser(client) as other:
        assert not await dashboard_opens(other)
        answer = await passkey_sign_in(other, authenticator)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"redirect": "/admin/"}
        assert await dashboard_opens(other)
        used = (await security_page(other)).select_one("tr[data-passkey] [data-last-used] time")
        assert used is not None, "the passkey shows when it was last used"
    actions = set(await db.scalars(select(AuditEntry.action)))
    assert "passkey.added" in actions


async def test_an_answer_replayed_is_refused(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    await sign_in(client, db, settings, OWNER)
    authenticator, _ = await add_passkey(client)
    with another_browser(client) as thief:
        options, headers = await sign_in_options(thief)
        credential = authenticator.get(options)
        first = await thief.post(
            "/admin/sign-in/passkey", json={"credential": credential}, headers=headers
        )
        assert first.status_code == 200
        thief.cookies = httpx.Cookies({"csrftoken": thief.cookies.get("csrftoken") or ""})
        again = await thief.post(
            "/admin/sign-in/passkey", json={"credential": credential}, headers=headers
        )
        assert again.status_code == 400
        assert "already used" in again.json()["detail"]
        assert not await dashboard_opens(thief)


async def test_a_registration_answer_replayed_is_refused(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    await sign_in(client, db, settings, OWNER)
    token = csrf_token((await client.get("/admin/security", headers=HTML)).text)
    headers = {"x-csrftoken": token, "accept": JSON}
    options = (await client.post("/admin/security/passkeys/options", headers=headers)).json()
    credential = SoftAuthenticator(origin=ORIGIN).create(options)
    body = {"name": "Phone", "credential": credential}
    assert (await client.post("/admin/security/passkeys", json=body, headers=headers)).is_success
    again = await client.post("/admin/security/passkeys", json=body, headers=headers)
    assert again.status_code == 400
    assert len((await db.scalars(select(Passkey))).all()) == 1


async def test_an_answer_after_the_challenge_expired_is_refused(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    await sign_in(client, db, settings, OWNER)
    authenticator, _ = await add_passkey(client)
    with another_browser(client) as late:
        options, headers = await sign_in_options(late)
        await db.execute(
            update(PasskeyChallenge).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await db.commit()
        refused = await late.post(
            "/admin/sign-in/passkey",
            json={"credential": authenticator.get(options)},
            headers=headers,
        )
        assert refused.status_code == 400
        assert "expired" in refused.json()["detail"]
        assert not await dashboard_opens(late)


async def test_a_cloned_passkey_whose_counter_went_back_is_refused(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    await sign_in(client, db, settings, OWNER)
    authenticator, _ = await add_passkey(client)
    with another_browser(client) as other:
        assert (await passkey_sign_in(other, authenticator, counter_step=5)).status_code == 200
    with another_browser(client) as clone:
        refused = await passkey_sign_in(clone, authenticator, counter_step=-2)
        assert refused.status_code == 400
        assert "sign count" in refused.json()["detail"]
        assert not await dashboard_opens(clone)


async def test_a_passkey_made_for_another_site_is_refused(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    await sign_in(client, db, settings, OWNER)
    _, added = await add_passkey(
        client, authenticator=SoftAuthenticator(origin="https://evil.example")
    )
    assert added.status_code == 400
    assert (await db.scalars(select(Passkey))).all() == []


async def test_a_removed_passkey_signs_in_no_one(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    await sign_in(client, db, settings, OWNER)
    authenticator, _ = await add_passkey(client)
    page = await security_page(client)
    form = page.select_one('tr[data-passkey="Work laptop"] form')
    assert form is not None
    removed = await client.post(
        str(form["action"]), data={"_csrf_token": token_of(page)}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert (await security_page(client)).select_one("[data-no-passkeys]") is not None
    with another_browser(client) as other:
        refused = await passkey_sign_in(other, authenticator)
        assert refused.status_code == 400
        assert "not registered" in refused.json()["detail"]


async def test_garbage_in_place_of_a_credential_is_a_clear_400(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    _, headers = await sign_in_options(client)
    for body in ({}, {"credential": "x"}, {"credential": {"id": "@@", "response": {}}}):
        answer = await client.post("/admin/sign-in/passkey", json=body, headers=headers)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["detail"]


async def require_passkeys(client: Client, organizer_id: str, required: bool) -> None:
    page = await security_page(client)
    form = page.select_one(f'form[data-require-passkeys="{organizer_id}"]')
    assert form is not None, "owners see the requirement for their organizer"
    data = {"_csrf_token": token_of(page)}
    if required:
        data["required"] = "on"
    answer = await client.post(str(form["action"]), data=data, follow_redirects=False)
    assert answer.status_code == 303


async def magic_link(client: Client, db: AsyncSession, settings: Settings, email: str) -> int:
    await ask_for_link(client, email)
    status, _, _ = await confirm(client, await latest_link_token(db, settings))
    return status


async def test_when_owners_require_passkeys_a_member_with_one_cannot_use_a_magic_link(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, theirs = await reef(db)
    await sign_in(client, db, settings, OWNER)
    await require_passkeys(client, str(mine), True)
    page = await security_page(client)
    assert page.select_one(f'form[data-require-passkeys="{theirs}"]') is None
    assert page.select_one("[data-passkey-needed]") is not None, "the owner is asked to add one"

    with another_browser(client) as manager:
        # No passkey yet: the link still works, so the manager can enrol one.
        assert await magic_link(manager, db, settings, "mo@reef.example") == 303
        authenticator, added = await add_passkey(manager, "Phone")
        assert added.status_code == 201
    with another_browser(client) as later:
        assert await magic_link(later, db, settings, "mo@reef.example") == 403
        assert not await dashboard_opens(later)
        assert (await passkey_sign_in(later, authenticator)).status_code == 200
    audit = {
        (e.action, e.actor) for e in await db.scalars(select(AuditEntry)) if e.organizer_id == mine
    }
    assert ("passkeys.required", OWNER) in audit
    assert ("sign_in.magic_link_refused", "mo@reef.example") in audit

    await require_passkeys(client, str(mine), False)
    with another_browser(client) as again:
        assert await magic_link(again, db, settings, "mo@reef.example") == 303


async def test_a_manager_cannot_require_passkeys(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    await sign_in(client, db, settings, "mo@reef.example")
    page = await security_page(client)
    assert page.select_one("form[data-require-passkeys]") is None
    answer = await client.post(
        f"/admin/security/required/{mine}",
        data={"_csrf_token": token_of(page), "required": "on"},
    )
    assert answer.status_code == 404


async def test_the_operator_signs_in_with_a_passkey(settings: Settings) -> None:
    operator = dataclasses.replace(settings, admin_username=OPERATOR[0], admin_password=OPERATOR[1])
    async with AsyncTestClient(app=create_app(operator)) as client:
        assert (await operator_sign_in(client, *OPERATOR))[0] == 303
        authenticator, added = await add_passkey(client, "Operator key")
        assert added.status_code == 201
        with another_browser(client) as other:
            assert (await passkey_sign_in(other, authenticator)).status_code == 200
            assert await dashboard_opens(other)
            who = (await security_page(other)).select_one("[data-security-who]")
            assert who is not None
            assert who.text == "the platform operator"


async def test_an_owner_removes_the_passkeys_of_a_member_who_lost_theirs(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    await sign_in(client, db, settings, OWNER)
    await require_passkeys(client, str(mine), True)
    with another_browser(client) as manager:
        assert await magic_link(manager, db, settings, "mo@reef.example") == 303
        assert (await add_passkey(manager, "Lost phone"))[1].status_code == 201
        assert await magic_link(manager, db, settings, "mo@reef.example") == 403
        page = await security_page(manager)
        assert page.select_one("[data-member-passkeys]") is None, "managers see no one's"

    page = await security_page(client)
    row = page.select_one(f'[data-member-passkeys="{mine}"] tr[data-member="mo@reef.example"]')
    assert row is not None
    assert row["data-passkeys"] == "1"
    form = row.select_one("form")
    assert form is not None
    reset = await client.post(
        str(form["action"]), data={"_csrf_token": token_of(page)}, follow_redirects=False
    )
    assert reset.headers["location"] == "/admin/security?saved=passkeys-reset"
    row = (await security_page(client)).select_one('tr[data-member="mo@reef.example"]')
    assert row is not None
    assert row["data-passkeys"] == "0"

    with another_browser(client) as manager:
        assert await magic_link(manager, db, settings, "mo@reef.example") == 303, (
            "with no passkey left, the link lets them in to add a new one"
        )
    audit = {(e.action, e.target) for e in await db.scalars(select(AuditEntry))}
    assert ("passkeys.reset", "mo@reef.example") in audit
