"""Sessions end when they are ended: a cookie copied before "Sign out", or kept by a member the
owner removed, signs in no one afterwards (issue 14 item 9)."""

from __future__ import annotations

import dataclasses

import httpx
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.settings import Settings
from tests.forms import csrf_token
from tests.test_dashboard import sign_in
from tests.test_getting_in import OPERATOR, operator_sign_in
from tests.test_members import OWNER, member_id, post, reef

Client = AsyncTestClient[Litestar]
HTML = {"accept": "text/html"}


async def signed_in(client: Client, cookies: httpx.Cookies, path: str = "/admin/") -> bool:
    """Whether a browser holding `cookies` (copied from another one) gets the page."""
    own = httpx.Cookies(client.cookies)
    client.cookies = httpx.Cookies(cookies)
    page = await client.get(path, headers=HTML, follow_redirects=False)
    client.cookies = own
    return page.status_code == 200


async def sign_out(client: Client) -> None:
    home = BeautifulSoup((await client.get("/admin/")).text, "html.parser")
    form = home.select_one("form[data-sign-out]")
    assert form is not None
    token = form.select_one('input[name="_csrf_token"]')
    assert token is not None
    await client.post(str(form["action"]), data={"_csrf_token": str(token["value"])})


async def test_a_cookie_copied_before_sign_out_no_longer_opens_the_dashboard(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    await sign_in(client, db, settings, OWNER)
    copied = httpx.Cookies(client.cookies)
    assert await signed_in(client, copied), "the copy works while the owner is signed in"
    await sign_out(client)
    assert not await signed_in(client, copied)
    assert not await signed_in(client, copied, "/account")


async def test_a_removed_member_is_signed_out_at_once(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    await sign_in(client, db, settings, "mo@reef.example")
    kept = httpx.Cookies(client.cookies)
    client.cookies = httpx.Cookies()
    assert await signed_in(client, kept)
    await sign_in(client, db, settings, OWNER)
    base = f"/admin/organizers/{mine}/members"
    removed = await post(client, f"{base}/{await member_id(db, mine, 'mo@reef.example')}/remove")
    assert removed.status_code == 303
    assert not await signed_in(client, kept, "/account")


async def test_an_operator_cookie_copied_before_sign_out_no_longer_works(
    settings: Settings,
) -> None:
    app = create_app(
        dataclasses.replace(settings, admin_username=OPERATOR[0], admin_password=OPERATOR[1])
    )
    async with AsyncTestClient(app=app) as client:
        assert (await operator_sign_in(client, *OPERATOR))[0] == 303
        copied = httpx.Cookies(client.cookies)
        assert await signed_in(client, copied)
        page = await client.get("/admin/")
        await client.post("/logout", data={"_csrf_token": csrf_token(page.text)})
        assert not await signed_in(client, copied)
