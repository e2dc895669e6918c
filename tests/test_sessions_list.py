"""The Security page lists where a person is signed in (browser, address, when) and ends any of
those sessions, or all of them, at once (issue 18 item 4)."""

from __future__ import annotations

import httpx
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from tests.test_dashboard import sign_in
from tests.test_members import OWNER, reef
from tests.test_passkeys import another_browser, token_of

Client = AsyncTestClient[Litestar]
HTML = {"accept": "text/html"}


async def sign_in_as(
    client: Client, db: AsyncSession, settings: Settings, email: str, agent: str
) -> httpx.Cookies:
    """Sign `email` in from a browser that calls itself `agent`; its cookies."""
    client.headers["user-agent"] = agent
    await sign_in(client, db, settings, email)
    return httpx.Cookies(client.cookies)


async def page_with(client: Client, cookies: httpx.Cookies) -> tuple[int, BeautifulSoup]:
    client.cookies = httpx.Cookies(cookies)
    page = await client.get("/admin/security", headers=HTML, follow_redirects=False)
    return page.status_code, BeautifulSoup(page.text, "html.parser")


async def test_the_security_page_lists_each_browser_and_marks_this_one(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    with another_browser(client):
        await sign_in_as(client, db, settings, OWNER, "Phone Browser/1.0")
    laptop = await sign_in_as(client, db, settings, OWNER, "Laptop Browser/2.0")
    with another_browser(client):
        await sign_in_as(client, db, settings, "mo@reef.example", "Manager Browser/3.0")
    status, page = await page_with(client, laptop)
    assert status == 200
    rows = page.select("#sessions tr[data-session]")
    agents = [row.select_one("td").get_text(" ", strip=True) for row in rows]  # type: ignore[union-attr]
    assert agents == ["Laptop Browser/2.0 (this browser)", "Phone Browser/1.0"]
    assert [row.has_attr("data-current") for row in rows] == [True, False]
    assert all(row.select_one("time") is not None for row in rows), "signed in and last seen"


async def test_signing_one_browser_out_ends_that_session_only(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    with another_browser(client):
        phone = await sign_in_as(client, db, settings, OWNER, "Phone Browser/1.0")
    laptop = await sign_in_as(client, db, settings, OWNER, "Laptop Browser/2.0")
    _, page = await page_with(client, laptop)
    row = page.select("#sessions tr[data-session]")[1]
    form = row.select_one("form")
    assert form is not None
    ended = await client.post(
        str(form["action"]), data={"_csrf_token": token_of(page)}, follow_redirects=False
    )
    assert ended.headers["location"] == "/admin/security?saved=session-ended"
    assert (await page_with(client, phone))[0] == 303, "the phone's cookie signs in no one"
    status, page = await page_with(client, laptop)
    assert status == 200
    assert len(page.select("#sessions tr[data-session]")) == 1


async def test_sign_out_everywhere_ends_every_session_of_the_person_and_no_one_elses(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    with another_browser(client):
        phone = await sign_in_as(client, db, settings, OWNER, "Phone Browser/1.0")
    with another_browser(client):
        manager = await sign_in_as(client, db, settings, "mo@reef.example", "Manager Browser/3.0")
    laptop = await sign_in_as(client, db, settings, OWNER, "Laptop Browser/2.0")
    _, page = await page_with(client, laptop)
    form = page.select_one("form[data-sign-out-everywhere]")
    assert form is not None
    out = await client.post(
        str(form["action"]), data={"_csrf_token": token_of(page)}, follow_redirects=False
    )
    assert out.headers["location"] == "/admin/sign-in"
    assert (await page_with(client, laptop))[0] == 303
    assert (await page_with(client, phone))[0] == 303
    assert (await page_with(client, manager))[0] == 200


async def test_a_session_of_someone_else_cannot_be_ended(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await reef(db)
    with another_browser(client):
        manager = await sign_in_as(client, db, settings, "mo@reef.example", "Manager Browser/3.0")
    _, page = await page_with(client, manager)
    handle = page.select_one("#sessions tr[data-session]")["data-session"]  # type: ignore[index]
    client.cookies = httpx.Cookies()
    owner = await sign_in_as(client, db, settings, OWNER, "Laptop Browser/2.0")
    _, page = await page_with(client, owner)
    for target in (str(handle), "not-hex"):
        refused = await client.post(
            f"/admin/security/sessions/{target}/end",
            data={"_csrf_token": token_of(page)},
            headers=HTML,
        )
        assert refused.status_code == 404
    assert (await page_with(client, manager))[0] == 200
