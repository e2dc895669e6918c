"""Members and roles, and the audit log: owners manage their own organizer only, the last owner
stays, every change is recorded."""

from __future__ import annotations

import base64
import dataclasses
import uuid

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import AuditEntry, Organizer, OrganizerMember, utcnow
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.shop import Shop
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]
OWNER = "owner@reef.example"


async def reef(db: AsyncSession) -> tuple[uuid.UUID, uuid.UUID]:
    """Reef Bar (an owner, a manager, a door lead) and Other Venue; their ids."""
    mine = await factories.organizer(db, name="Reef Bar")
    theirs = await factories.organizer(db, name="Other Venue")
    db.add_all(
        [
            OrganizerMember(organizer_id=mine.id, email=OWNER, role="owner"),
            OrganizerMember(organizer_id=mine.id, email="mo@reef.example", role="manager"),
            OrganizerMember(organizer_id=mine.id, email="dee@reef.example", role="door_lead"),
            OrganizerMember(organizer_id=theirs.id, email="boss@other.example", role="owner"),
        ]
    )
    await db.commit()
    return mine.id, theirs.id


async def member_id(db: AsyncSession, organizer: uuid.UUID, email: str) -> str:
    db.expire_all()
    found = await db.scalar(
        select(OrganizerMember.id).where(
            OrganizerMember.organizer_id == organizer, OrganizerMember.email == email
        )
    )
    assert found is not None
    return str(found)


async def post(client: Client, path: str, **form: str) -> httpx.Response:
    csrf = csrf_token((await client.get("/apply")).text)
    return await client.post(path, data={"_csrf_token": csrf, **form}, follow_redirects=False)


async def roles(db: AsyncSession, organizer: uuid.UUID) -> dict[str, str]:
    db.expire_all()
    rows = await db.execute(
        select(OrganizerMember.email, OrganizerMember.role).where(
            OrganizerMember.organizer_id == organizer
        )
    )
    return {email: role for email, role in rows}


def _listed(page: str) -> dict[str, str]:
    """The members table: each member's email and role."""
    return {
        str(row["data-member"]): str(row["data-role"])
        for row in pages.parse(page).select("#members tr[data-member]")
    }


async def test_an_owner_adds_promotes_and_removes_members_and_each_change_is_audited(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    await sign_in(client, db, settings, OWNER)
    dashboard = await client.get("/admin/")
    members_link = f'[data-organizer] a[href="/admin/organizers/{mine}/members"]'
    assert pages.text(dashboard.text, members_link) == "Members"
    assert "/admin/applications/" not in pages.values(dashboard.text, "main a", "href")
    base = f"/admin/organizers/{mine}/members"

    page = await client.get(base)
    assert page.status_code == 200
    assert _listed(page.text) == {
        OWNER: "owner", "mo@reef.example": "manager", "dee@reef.example": "door_lead"
    }  # fmt: skip

    added = await post(client, base, email=" New@Reef.example ", role="door_lead")
    assert (added.status_code, added.headers["location"]) == (303, base)
    promoted = await post(
        client, f"{base}/{await member_id(db, mine, 'mo@reef.example')}/role", role="owner"
    )
    assert promoted.status_code == 303
    removed = await post(client, f"{base}/{await member_id(db, mine, 'dee@reef.example')}/remove")
    assert removed.status_code == 303
    assert await roles(db, mine) == {
        OWNER: "owner", "mo@reef.example": "owner", "new@reef.example": "door_lead"
    }  # fmt: skip

    log = await client.get(f"/admin/organizers/{mine}/audit")
    assert log.status_code == 200
    # (time, who, action, target, details), newest first
    entries = [row[1:3] + row[4:] for row in pages.rows(log.text, "#audit tr[data-action]")]
    assert entries == [
        [OWNER, "member.removed", "role: door_lead"],
        [OWNER, "member.role_changed", "after: owner; before: manager"],
        [OWNER, "member.added", "role: door_lead"],
    ]


async def test_the_last_owner_cannot_be_demoted_or_removed(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    await sign_in(client, db, settings, OWNER)
    base = f"/admin/organizers/{mine}/members/{await member_id(db, mine, OWNER)}"
    for path, form in ((f"{base}/role", {"role": "manager"}), (f"{base}/remove", {})):
        refused = await post(client, path, **form)
        assert refused.status_code == 409
        note = pages.text(refused.text, "#note")
        assert f"{OWNER} is the last owner" in note
        assert "Make someone else an owner first." in note
    assert (await roles(db, mine))[OWNER] == "owner"


async def test_an_owner_who_steps_down_goes_back_to_the_dashboard(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    db.add(OrganizerMember(organizer_id=mine, email="co@reef.example", role="owner"))
    await db.commit()
    await sign_in(client, db, settings, OWNER)
    me = await member_id(db, mine, OWNER)
    stepped = await post(client, f"/admin/organizers/{mine}/members/{me}/role", role="manager")
    assert (stepped.status_code, stepped.headers["location"]) == (303, "/admin/")
    assert (await client.get(f"/admin/organizers/{mine}/members")).status_code == 403


async def test_adding_someone_twice_or_a_bad_address_says_why(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    await sign_in(client, db, settings, OWNER)
    base = f"/admin/organizers/{mine}/members"
    again = await post(client, base, email="MO@reef.example", role="owner")
    assert again.status_code == 409
    assert "mo@reef.example is already a member" in pages.text(again.text, "#note")
    bad = await post(client, base, email="not an address", role="manager")
    assert "does not look like an email address" in pages.text(bad.text, "#note")
    unknown = await post(client, base, email="x@reef.example", role="admin")
    assert "Choose a role" in pages.text(unknown.text, "#note")
    assert len(await roles(db, mine)) == 3


async def test_managers_and_door_leads_see_nothing_here(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    await sign_in(client, db, settings, "mo@reef.example")
    dashboard = await client.get("/admin/")
    links = pages.values(dashboard.text, "main a", "href")
    assert [link for link in links if link.endswith(("/members", "/audit"))] == []
    for path in ("members", "audit"):
        assert (await client.get(f"/admin/organizers/{mine}/{path}")).status_code == 403
    forged = await post(client, f"/admin/organizers/{mine}/members", email="x@y.example",
                        role="owner")  # fmt: skip
    assert forged.status_code == 403
    assert "x@y.example" not in await roles(db, mine)


async def test_another_organizers_members_and_audit_log_are_not_found(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, theirs = await reef(db)
    db.add(AuditEntry(organizer_id=theirs, actor="boss@other.example", action="secret.thing"))
    await db.commit()
    await sign_in(client, db, settings, OWNER)
    for path in ("members", "audit"):
        assert (await client.get(f"/admin/organizers/{theirs}/{path}")).status_code == 404
    boss = await member_id(db, theirs, "boss@other.example")
    # Their member under my organizer's id is not mine to touch either.
    moved = await post(client, f"/admin/organizers/{mine}/members/{boss}/remove")
    assert moved.status_code == 404
    assert "boss@other.example" in await roles(db, theirs)


async def test_the_operator_manages_any_organizer_and_sees_the_applications_link(
    db: AsyncSession, settings: Settings
) -> None:
    _, theirs = await reef(db)
    operator = dataclasses.replace(settings, admin_username="op", admin_password="pw-long-enough")
    auth = {"authorization": "Basic " + base64.b64encode(b"op:pw-long-enough").decode()}
    async with AsyncTestClient(app=create_app(operator)) as client:
        client.headers.update(auth)
        dashboard = await client.get("/admin/")
        applications = 'main a[href="/admin/applications/"]'
        assert pages.text(dashboard.text, applications) == "Organizer applications"
        audit_link = f'[data-organizer] a[href="/admin/organizers/{theirs}/audit"]'
        assert pages.text(dashboard.text, audit_link) == "Audit log"
        added = await post(client, f"/admin/organizers/{theirs}/members", email="a@b.example",
                           role="manager")  # fmt: skip
        assert added.status_code == 303
        log = await client.get(f"/admin/organizers/{theirs}/audit")
    # (time, who, action, target, details)
    assert [row[1:3] for row in pages.rows(log.text, "#audit tr[data-action]")] == [
        ["operator", "member.added"]
    ]


async def test_the_audit_log_shows_the_newest_hundred_then_older_pages(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    from datetime import timedelta

    mine, _ = await reef(db)
    start = utcnow() - timedelta(days=1)
    db.add_all(
        AuditEntry(organizer_id=mine, actor=OWNER, action=f"test.n{n:03}",
                   created_at=start + timedelta(minutes=n))
        for n in range(150)
    )  # fmt: skip
    await db.commit()
    await sign_in(client, db, settings, OWNER)
    first = await client.get(f"/admin/organizers/{mine}/audit")
    shown = pages.texts(first.text, "#audit tr[data-action] td:nth-of-type(3)")
    assert shown == [f"test.n{n:03}" for n in range(149, 49, -1)]  # newest first
    assert pages.text(first.text, 'a[rel="next"]') == "Older"
    second = await client.get(f"/admin/organizers/{mine}/audit?page=2")
    shown = pages.texts(second.text, "#audit tr[data-action] td:nth-of-type(3)")
    assert shown == [f"test.n{n:03}" for n in range(49, -1, -1)]
    assert pages.texts(second.text, 'a[rel="next"]') == []
    assert pages.text(second.text, 'a[rel="prev"]') == "Newer"


async def test_without_stripe_configured_the_onboarding_button_says_so(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    await sign_in(client, db, settings, OWNER)
    page = await client.get(f"/admin/organizers/{mine}/members")
    assert pages.text(page.text, "#payments button") == "Set up payments with Stripe"
    started = await post(client, f"/admin/organizers/{mine}/stripe/onboarding")
    assert started.status_code == 409
    assert "Stripe is not configured" in pages.text(started.text, "[data-error-message]")


async def test_an_owner_starts_stripe_onboarding_from_the_members_page(
    shop: Shop, db: AsyncSession
) -> None:
    organizer = await db.scalar(
        select(Organizer).where(Organizer.stripe_account_id == shop.account)
    )
    assert organizer is not None
    organizer_id = organizer.id
    organizer.stripe_account_id = None
    organizer.charges_enabled = False
    db.add(OrganizerMember(organizer_id=organizer_id, email=OWNER, role="owner"))
    await db.commit()
    browser = shop.browser
    await shop.sign_in(db, OWNER)
    page = await browser.get(f"/admin/organizers/{organizer_id}/members")
    assert pages.text(page.text, "#payments button") == "Set up payments with Stripe"
    started = await browser.post(
        f"/admin/organizers/{organizer_id}/stripe/onboarding",
        data={"_csrf_token": csrf_token(page.text)},
    )
    assert started.status_code == 303
    assert started.headers["location"].startswith(shop.standin.url)
    db.expire_all()
    assert (await db.get(Organizer, organizer_id)).stripe_account_id  # type: ignore[union-attr]
    again = await browser.get(f"/admin/organizers/{organizer_id}/members")
    assert pages.text(again.text, "#payments button") == "Continue Stripe onboarding"
    # Stripe sends the owner back when onboarding is done: charges are read at once.
    account = (await db.get(Organizer, organizer_id)).stripe_account_id  # type: ignore[union-attr]
    assert account is not None
    shop.standin.set_charges_enabled(account, True)
    back = await browser.get(f"/stripe/return?organizer={organizer_id}")
    assert back.status_code == 303
    assert back.headers["location"] == f"/admin/organizers/{organizer_id}/members?stripe=ready"
    db.expire_all()
    assert (await db.get(Organizer, organizer_id)).charges_enabled  # type: ignore[union-attr]
    ready = await browser.get(f"/admin/organizers/{organizer_id}/members")
    assert pages.text(ready.text, "#stripe-currencies") == "USD"  # a US account settles in USD
    created = await db.scalar(
        select(AuditEntry).where(AuditEntry.action == "stripe.account_created")
    )
    assert created is not None
    assert created.actor == OWNER
    other = await factories.organizer(db, name="Not Theirs")
    await db.commit()
    assert (await browser.get(f"/stripe/return?organizer={other.id}")).status_code == 404


async def test_stripes_refresh_link_opened_by_get_creates_nothing_until_the_owner_posts(
    shop: Shop, db: AsyncSession
) -> None:
    # Issue 14 item 10: a GET of the refresh URL (an <img> on any site, in a signed-in browser)
    # created a Connect account and an Account Link.
    organizer = await factories.organizer(db, name="Fresh Venue")
    organizer_id = organizer.id
    db.add(OrganizerMember(organizer_id=organizer_id, email=OWNER, role="owner"))
    await db.commit()
    browser = shop.browser
    await shop.sign_in(db, OWNER)
    calls_before = len(shop.standin.requests)

    page = await browser.get(f"/stripe/refresh?organizer={organizer_id}")
    assert page.status_code == 200
    assert pages.text(page.text, "#stripe-refresh button") == "Continue Stripe onboarding"
    assert shop.standin.requests[calls_before:] == []
    db.expire_all()
    assert (await db.get(Organizer, organizer_id)).stripe_account_id is None  # type: ignore[union-attr]

    forged = await browser.post(f"/stripe/refresh?organizer={organizer_id}")
    assert forged.status_code == 403  # no CSRF token: another site's form
    assert shop.standin.requests[calls_before:] == []

    started = await browser.post(
        f"/stripe/refresh?organizer={organizer_id}", data={"_csrf_token": csrf_token(page.text)}
    )
    assert started.status_code == 303
    assert started.headers["location"].startswith(shop.standin.url)
    assert [r.path for r in shop.standin.requests[calls_before:]] == [
        "/v1/accounts", "/v1/account_links"
    ]  # fmt: skip
    db.expire_all()
    assert (await db.get(Organizer, organizer_id)).stripe_account_id  # type: ignore[union-attr]
