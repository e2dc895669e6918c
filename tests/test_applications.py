"""Organizer applications: a venue applies at /apply, the operator approves, the owner signs in
through the emailed link and finds the organizer on the dashboard."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import AuditEntry, Organizer, OrganizerApplication, OrganizerMember
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.test_accounts import confirm, latest_link_token
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]
OPERATOR = {"authorization": "Basic " + base64.b64encode(b"op:pw-long-enough").decode()}
GOOD = {
    "organizer_name": "Café Lumière",
    "contact_name": "Léa Martin",
    "contact_email": "Lea@Lumiere.example",
    "website": "https://lumiere.example",
    "message": "Jazz on Fridays.\nAbout 120 seats.",
}


@pytest.fixture
def operator_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, admin_username="op", admin_password="pw-long-enough")


@pytest.fixture
async def site(operator_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(operator_settings)) as client:
        yield client


async def apply(client: Client, **fields: str) -> tuple[int, str, str]:
    csrf = csrf_token((await client.get("/apply")).text)
    response = await client.post(
        "/apply", data={"_csrf_token": csrf, **fields}, follow_redirects=False
    )
    return response.status_code, response.headers.get("location", ""), response.text


async def review(
    client: Client, application: OrganizerApplication, action: str, **form: str
) -> httpx.Response:
    page = await client.get("/apply")  # any form carries the session's CSRF token
    return await client.post(
        f"/admin/applications/{application.id}/{action}",
        data={"_csrf_token": csrf_token(page.text), **form},
        headers=OPERATOR,
    )


async def only_application(db: AsyncSession) -> OrganizerApplication:
    db.expire_all()
    return (await db.scalars(select(OrganizerApplication))).one()


async def test_the_home_page_links_to_the_application_form(client: Client) -> None:
    home = await client.get("/")
    assert pages.one(home.text, "#apply-link")["href"] == "/apply"
    form = await client.get("/apply")
    assert form.status_code == 200
    assert pages.text(form.text, "h1") == "Sell tickets with POCtix"


async def test_an_approved_applicant_signs_in_by_the_emailed_link_and_sees_the_organizer(
    site: Client, db: AsyncSession, operator_settings: Settings
) -> None:
    status, location, _ = await apply(site, **GOOD)
    assert (status, location) == (303, "/apply/thanks")
    thanks = await site.get(location)
    assert "We have your application" in pages.text(thanks.text, "#application-received")

    pending = await site.get("/admin/applications/", headers=OPERATOR)
    card = pages.one(pending.text, "article[data-application]")
    assert pages.text(card, "h3") == "Café Lumière"
    assert pages.texts(card, "p")[0] == "Léa Martin · lea@lumiere.example · https://lumiere.example"
    approved = await review(site, await only_application(db), "approve")
    assert approved.status_code == 200
    note = pages.text(approved.text, "#note")
    assert note == "Approved: Café Lumière (cafe-lumiere). The owner was emailed a link."

    application = await only_application(db)
    organizer = await db.scalar(select(Organizer).where(Organizer.id == application.organizer_id))
    assert organizer is not None
    assert (organizer.slug, application.status, application.decided_by) == (
        "cafe-lumiere", "approved", "operator"
    )  # fmt: skip
    audit = await db.scalar(select(AuditEntry).where(AuditEntry.organizer_id == organizer.id))
    assert audit is not None
    assert audit.action == "organizer.approved"

    # The owner opens the link from the email in a browser of their own.
    token = await latest_link_token(db, operator_settings)
    async with AsyncTestClient(app=create_app(operator_settings)) as browser:
        status, location, _ = await confirm(browser, token)
        assert (status, location) == (303, "/admin")
        dashboard = await browser.get("/admin/")
    assert dashboard.status_code == 200
    assert pages.texts(dashboard.text, "[data-organizer] h2") == ["Café Lumière"]
    signed_in = pages.text(dashboard.text, "[data-signed-in]").split(" · ")[0]
    assert signed_in == "Signed in as lea@lumiere.example"


async def test_approving_twice_is_refused_and_makes_one_organizer(
    site: Client, db: AsyncSession
) -> None:
    await apply(site, **GOOD)
    application = await only_application(db)
    assert (await review(site, application, "approve")).status_code == 200
    again = await review(site, application, "approve")
    assert again.status_code == 409
    assert "already approved" in pages.text(again.text, "#note")
    assert await db.scalar(select(func.count()).select_from(Organizer)) == 1
    assert await db.scalar(select(func.count()).select_from(OrganizerMember)) == 1


async def test_a_declined_application_keeps_its_note_and_creates_nothing(
    site: Client, db: AsyncSession
) -> None:
    await apply(site, **GOOD)
    declined = await review(site, await only_application(db), "decline", note="Not a venue")
    assert declined.status_code == 200
    # (organizer, contact, decision, by, when, note)
    [row] = pages.rows(declined.text, "#decided tr[data-status]")
    assert row[:4] + row[5:] == [
        "Café Lumière", "lea@lumiere.example", "declined", "operator", "Not a venue"
    ]  # fmt: skip
    application = await only_application(db)
    assert (application.status, application.decision_note) == ("declined", "Not a venue")
    assert await db.scalar(select(func.count()).select_from(Organizer)) == 0


async def test_a_second_organizer_with_the_same_name_gets_its_own_slug(
    site: Client, db: AsyncSession
) -> None:
    taken = await factories.organizer(db, name="Cafe Lumiere")
    taken.slug = "cafe-lumiere"
    await db.commit()
    await apply(site, **GOOD)
    approved = await review(site, await only_application(db), "approve")
    note = pages.text(approved.text, "#note")
    assert note == "Approved: Café Lumière (cafe-lumiere-2). The owner was emailed a link."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"organizer_name": ""}, "Organizer name is required."),
        ({"contact_email": "not-an-address"}, "Email does not look like an email address."),
        ({"contact_email": "a@b.example\r\nBcc: x@y.example"}, "Email contains characters"),
        ({"contact_name": "Léa\nBcc: x@y.example"}, "Your name contains characters"),
        ({"website": "javascript:alert(1)"}, "Website should start with https://"),
        ({"message": "x" * 4001}, "Message is longer than 4000 characters."),
    ],
)
async def test_a_bad_form_comes_back_with_the_reason_and_stores_nothing(
    client: Client, db: AsyncSession, change: dict[str, str], message: str
) -> None:
    status, _, page = await apply(client, **{**GOOD, **change})
    assert status == 400
    reasons = pages.texts(page, "#form-errors li")
    assert [reason for reason in reasons if message in reason], (message, reasons)
    if "website" not in change:  # what was typed is kept
        assert pages.one(page, 'input[name="website"]')["value"] == "https://lumiere.example"
    assert await db.scalar(select(func.count()).select_from(OrganizerApplication)) == 0


async def test_a_form_posted_without_its_csrf_token_is_refused(client: Client) -> None:
    await client.get("/apply")
    response = await client.post("/apply", data=GOOD)
    assert response.status_code == 403


async def test_the_sixth_application_in_an_hour_gets_429_with_retry_after(
    client: Client, db: AsyncSession
) -> None:
    for _ in range(5):
        assert (await apply(client, **GOOD))[0] == 303
    csrf = csrf_token((await client.get("/apply")).text)
    refused = await client.post(
        "/apply", data={"_csrf_token": csrf, **GOOD}, headers={"accept": "text/html"}
    )
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert "Please try again in about" in pages.text(refused.text, "[data-error-message]")
    assert await db.scalar(select(func.count()).select_from(OrganizerApplication)) == 5
    # Another route's bucket is untouched: the same address can still ask for a sign-in link.
    csrf = csrf_token((await client.get("/login")).text)
    login = await client.post("/login", data={"_csrf_token": csrf, "email": "a@b.example"})
    assert login.status_code == 200


async def test_organizer_staff_cannot_review_applications(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organizer(db)
    db.add(OrganizerMember(organizer_id=org.id, email="owner@reef.example", role="owner"))
    await db.commit()
    await apply(client, **GOOD)
    await sign_in(client, db, settings, "owner@reef.example")
    page = await client.get("/admin/applications/")
    assert page.status_code == 403
    csrf = csrf_token((await client.get("/apply")).text)
    application = await only_application(db)
    forged = await client.post(
        f"/admin/applications/{application.id}/approve", data={"_csrf_token": csrf}
    )
    assert forged.status_code == 403
    assert (await only_application(db)).status == "pending"
