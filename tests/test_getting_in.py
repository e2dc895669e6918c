"""Getting into the dashboard on a fresh host: the operator from a browser, staff by links the
operator prints when no email is set up yet, and the demo owner by the link `make run` prints."""

from __future__ import annotations

import base64
import dataclasses
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import AuditEntry, Organizer, OrganizerApplication, OrganizerMember
from api.settings import Settings, SettingsError
from tests import pages
from tests.forms import csrf_token
from tests.test_accounts import confirm
from tests.test_cli import _env, _run

Client = AsyncTestClient[Litestar]
HTML = {"accept": "text/html"}
OPERATOR = ("operator", "a-long-operator-password")


@pytest.fixture
def operator_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, admin_username=OPERATOR[0], admin_password=OPERATOR[1])


@pytest.fixture
async def site(operator_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(operator_settings)) as client:
        yield client


async def operator_sign_in(client: Client, user: str, password: str) -> tuple[int, str, str]:
    page = await client.get("/admin/sign-in")
    response = await client.post(
        "/admin/sign-in",
        data={"_csrf_token": csrf_token(page.text), "username": user, "password": password},
        follow_redirects=False,
    )
    return response.status_code, response.headers.get("location", ""), response.text


async def test_a_browser_opening_the_dashboard_is_sent_to_a_page_that_signs_the_operator_in(
    site: Client,
) -> None:
    first = await site.get("/admin", headers=HTML, follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (303, "/admin/sign-in")
    page = BeautifulSoup((await site.get("/admin/sign-in")).text, "html.parser")
    operator = page.select_one('[data-sign-in="operator"] form')
    assert operator is not None
    assert operator["action"] == "/admin/sign-in"
    assert page.select_one('[data-sign-in="staff"] form[action="/login"]') is not None


async def test_the_sign_in_page_says_how_to_turn_operator_access_on(client: Client) -> None:
    page = BeautifulSoup((await client.get("/admin/sign-in")).text, "html.parser")
    note = page.select_one("[data-operator-off]")
    assert note is not None
    assert "ADMIN_USERNAME" in note.text
    assert page.select_one('[data-sign-in="operator"] form') is None


async def test_the_operator_signs_in_approves_an_application_with_the_form_and_signs_out(
    site: Client, db: AsyncSession
) -> None:
    db.add(
        OrganizerApplication(
            organizer_name="Reef Bar",
            contact_name="Kai",
            contact_email="kai@reef.example",
            website="",
            message="",
        )
    )
    await db.commit()
    assert await operator_sign_in(site, *OPERATOR) == (303, "/admin", "")
    home = BeautifulSoup((await site.get("/admin")).text, "html.parser")
    assert pages.text(home, "[data-signed-in]").split(" · ")[0] == "Signed in as operator"
    # The dashboard's own form, with the CSRF token of the operator's session.
    listing = await site.get("/admin/applications/")
    form = BeautifulSoup(listing.text, "html.parser").select_one('form[action$="/approve"]')
    assert form is not None
    approved = await site.post(
        str(form["action"]),
        data={"_csrf_token": csrf_token(listing.text)},
    )
    assert approved.status_code == 200
    assert pages.text(approved.text, "#note").startswith("Approved: Reef Bar (")
    db.expire_all()
    assert await db.scalar(select(Organizer.name)) == "Reef Bar"
    sign_out = home.select_one("form[data-sign-out]")
    assert sign_out is not None
    token = sign_out.select_one('input[name="_csrf_token"]')
    assert token is not None
    await site.post(str(sign_out["action"]), data={"_csrf_token": str(token["value"])})
    after = await site.get("/admin", headers=HTML, follow_redirects=False)
    assert after.headers["location"] == "/admin/sign-in"


async def test_a_wrong_operator_password_is_refused_and_guessing_is_cut_off(
    site: Client,
) -> None:
    status, _, text = await operator_sign_in(site, OPERATOR[0], "guess")
    assert status == 401
    assert pages.text(text, "[data-error]") == "Wrong user name or password."
    answers = [(await operator_sign_in(site, OPERATOR[0], f"guess-{n}"))[0] for n in range(12)]
    assert 429 in answers
    # Even the right password waits out the window once the address is cut off.
    assert (await operator_sign_in(site, *OPERATOR))[0] == 429


async def test_changing_the_operator_password_ends_operator_sessions(
    operator_settings: Settings,
) -> None:
    async with AsyncTestClient(app=create_app(operator_settings)) as client:
        await operator_sign_in(client, *OPERATOR)
        cookies = dict(client.cookies)
    changed = dataclasses.replace(operator_settings, admin_password="another-long-password!")
    async with AsyncTestClient(app=create_app(changed)) as client:
        client.cookies.update(cookies)
        page = await client.get("/admin", headers=HTML, follow_redirects=False)
    assert page.headers["location"] == "/admin/sign-in"


def test_production_refuses_a_short_operator_password() -> None:
    env = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": "k" * 48,
        "ADMIN_USERNAME": "operator",
        "ADMIN_PASSWORD": "fifteen-chars!!",
    }
    with pytest.raises(SettingsError, match="ADMIN_PASSWORD must be at least 16 characters"):
        Settings.from_env(env)
    assert Settings.from_env({**env, "ADMIN_PASSWORD": "sixteen-chars!!!"}).admin_password
    with pytest.raises(SettingsError, match="ADMIN_USERNAME"):
        Settings.from_env({**env, "ADMIN_USERNAME": "", "ADMIN_PASSWORD": "x" * 20})


async def test_commands_create_an_organizer_add_a_member_and_print_a_link_that_signs_in(
    database_url: str, tmp_path: Path, settings: Settings, db: AsyncSession
) -> None:
    env = _env(database_url, tmp_path)
    made = _run(["organizer", "create", "Salt Cellar", "--owner", "Mia@Salt.example"], env)
    assert made.returncode == 0, made.stderr
    assert "Created Salt Cellar (slug salt-cellar" in made.stdout
    added = _run(["member", "add", "salt-cellar", "door@salt.example", "--role", "door"], env)
    assert added.returncode == 0, added.stderr
    assert "door@salt.example is now door of Salt Cellar." in added.stdout
    again = _run(["member", "add", "salt-cellar", "door@salt.example", "--role", "door"], env)
    assert again.returncode == 1
    assert "already a member" in again.stderr
    nowhere = _run(["member", "add", "no-such-venue", "x@salt.example"], env)
    assert nowhere.returncode == 1
    assert "No organizer 'no-such-venue'" in nowhere.stderr
    link = _run(["sign-in-link", "mia@salt.example"], env)
    assert link.returncode == 0, link.stderr
    assert "Opens the dashboard of: Salt Cellar" in link.stderr
    url = link.stdout.strip()
    assert url.startswith("http://tickets.example/login/confirm?token=")

    db.expire_all()
    roles = dict((await db.execute(select(OrganizerMember.email, OrganizerMember.role))).all())
    assert roles == {"mia@salt.example": "owner", "door@salt.example": "door_lead"}
    organizer_id = await db.scalar(select(Organizer.id))
    actions = list(
        await db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.organizer_id == organizer_id)
            .order_by(AuditEntry.created_at)
        )
    )
    assert actions == ["organizer.created", "member.added", "sign_in_link.printed"]
    actor = await db.scalar(select(AuditEntry.actor).limit(1))
    assert actor is not None
    assert actor.startswith("command line (")

    # The printed link signs the owner in once, into the dashboard.
    token = url.split("token=", 1)[1]
    key = dataclasses.replace(settings, secret_key="s" * 48)
    async with AsyncTestClient(app=create_app(key)) as client:
        assert (await confirm(client, token))[:2] == (303, "/admin")
        home = BeautifulSoup((await client.get("/admin")).text, "html.parser")
        assert home.select_one('[data-organizer="salt-cellar"]') is not None
    async with AsyncTestClient(app=create_app(key)) as client:
        assert (await confirm(client, token))[0] == 400


def test_demo_prints_a_one_time_sign_in_link_for_the_owner_and_how_the_operator_gets_in(
    database_url: str, tmp_path: Path
) -> None:
    result = _run(["demo"], _env(database_url, tmp_path))
    assert result.returncode == 0, result.stderr
    found = re.search(r"http://tickets\.example/login/confirm\?token=\S+", result.stdout)
    assert found, result.stdout
    assert "owner@driftwood.example" in result.stdout
    assert "Operator: set ADMIN_USERNAME and ADMIN_PASSWORD" in result.stdout
    configured = _run(
        ["demo"],
        _env(database_url, tmp_path, ADMIN_USERNAME="op", ADMIN_PASSWORD="x" * 20),
    )
    assert "Operator: sign in at http://tickets.example/admin/sign-in as op" in configured.stdout
    second = re.search(r"http://tickets\.example/login/confirm\?token=\S+", configured.stdout)
    assert second
    assert second.group(0) != found.group(0), "each run prints a fresh link"


def test_organizer_ids_work_as_well_as_slugs(database_url: str, tmp_path: Path) -> None:
    env = _env(database_url, tmp_path)
    made = _run(["organizer", "create", "Tide Pool", "--owner", "t@tide.example"], env)
    found = re.search(r"id ([0-9a-f-]{36})", made.stdout)
    assert found, made.stdout
    uuid.UUID(found.group(1))
    added = _run(["member", "add", found.group(1), "m@tide.example", "--role", "manager"], env)
    assert added.returncode == 0, added.stderr


async def test_guessing_the_operator_password_by_basic_auth_is_cut_off_and_logged(
    site: Client, caplog: pytest.LogCaptureFixture
) -> None:
    def basic(password: str) -> dict[str, str]:
        raw = f"{OPERATOR[0]}:{password}".encode()
        return {"authorization": "Basic " + base64.b64encode(raw).decode()}

    good = await site.get("/admin/applications/", headers=basic(OPERATOR[1]))
    assert good.status_code == 200, "the right password works, and does not count"
    answers = [
        (
            await site.post(
                f"/api/v1/admin/organizers/{uuid.uuid4()}/stripe/onboarding", headers=basic(f"g{n}")
            )
        )
        for n in range(11)
    ]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert answers[10].status_code == 429
    assert int(answers[10].headers["retry-after"]) > 0
    # Cut off: even the right password gets nothing more from this address for now.
    after = await site.get("/admin/applications/", headers=basic(OPERATOR[1]))
    assert after.status_code == 429
    assert sum("operator sign-in failed" in r.getMessage() for r in caplog.records) >= 10
