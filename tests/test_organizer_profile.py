"""The organizer's profile page: owners (and the operator) edit the name, the contact email that
buyers' replies go to, the public page address and the logo; every change is audited; managers,
door leads and other organizers' owners cannot (issue 14 item 17)."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AuditEntry, Organizer
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.test_dashboard import sign_in
from tests.test_media import png_claiming
from tests.test_members import OWNER, reef

Client = AsyncTestClient[Litestar]


async def save(client: Client, organizer: uuid.UUID, **form: str) -> httpx.Response:
    page = await client.get(f"/admin/organizers/{organizer}")
    return await client.post(
        f"/admin/organizers/{organizer}",
        data={"_csrf_token": csrf_token(page.text), **form},
        follow_redirects=False,
    )


async def upload_logo(client: Client, organizer: uuid.UUID, raw: bytes) -> httpx.Response:
    page = await client.get(f"/admin/organizers/{organizer}")
    return await client.post(
        f"/admin/organizers/{organizer}/logo",
        data={"_csrf_token": csrf_token(page.text)},
        files={"logo": ("logo.png", raw, "image/png")},
        follow_redirects=False,
    )


async def stored(db: AsyncSession, organizer: uuid.UUID) -> Organizer:
    db.expire_all()
    found = await db.get(Organizer, organizer)
    assert found is not None
    return found


async def audited(db: AsyncSession, organizer: uuid.UUID) -> dict[str, dict[str, str]]:
    rows = await db.scalars(
        select(AuditEntry).where(
            AuditEntry.organizer_id == organizer, AuditEntry.action == "organizer.updated"
        )
    )
    return {row.target: row.details for row in rows}


def problems(response: httpx.Response) -> str:
    """The page's refusal messages, as the owner reads them."""
    return " ".join(pages.texts(response.text, "#problems [data-problem]"))


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (120, 40), (10, 90, 200, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_an_owner_edits_the_name_contact_email_and_public_address_and_each_is_audited(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    before = await stored(db, mine)
    old_email, old_slug = before.contact_email, before.slug
    await sign_in(client, db, settings, OWNER)
    dashboard = await client.get("/admin/")
    profile_link = f'[data-organizer] a[href="/admin/organizers/{mine}"]'
    assert pages.text(dashboard.text, profile_link) == "Profile"

    saved = await save(client, mine, name="  Reef Bar &  Grill ",
                       contact_email="Hello@Reef.example", slug="reef-bar")  # fmt: skip
    assert (saved.status_code, saved.headers["location"]) == (
        303, f"/admin/organizers/{mine}?saved=1"
    )  # fmt: skip
    page = await client.get(saved.headers["location"])
    assert pages.text(page.text, "#saved") == "Saved."
    assert pages.one(page.text, '#profile input[name="name"]')["value"] == "Reef Bar & Grill"
    assert pages.one(page.text, '#profile input[name="contact_email"]')["value"] == (
        "Hello@Reef.example"
    )
    assert pages.one(page.text, "#public-page")["href"] == "/o/reef-bar"
    after = await stored(db, mine)
    assert (after.name, after.contact_email, after.slug) == (
        "Reef Bar & Grill", "Hello@Reef.example", "reef-bar"
    )  # fmt: skip
    assert await audited(db, mine) == {
        "name": {"before": "Reef Bar", "after": "Reef Bar & Grill"},
        "contact_email": {"before": old_email, "after": "Hello@Reef.example"},
        "slug": {"before": old_slug, "after": "reef-bar"},
    }
    log = await client.get(f"/admin/organizers/{mine}/audit")
    # (time, who, action, target, details)
    updated = pages.rows(log.text, '#audit tr[data-action="organizer.updated"]')
    assert sorted(row[3] for row in updated) == ["contact_email", "name", "slug"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "not an address", "is not an email address buyers' replies can go to"),
        ("contact_email", "a@reef.example, b@reef.example", "is not an email address"),
        ("contact_email", "a..b@reef.example", "is not an email address"),
        ("contact_email", "x@reef.example\nBcc: all@else.example", "is not an email address"),
        ("slug", "Reef Bar", "may use lowercase letters, digits and dashes"),
        ("slug", "-reef", "must start with a letter or digit"),
        ("slug", "r" * 64, "at most 63"),
        ("name", "   ", "Give the organizer a name."),
    ],
)
async def test_a_bad_email_slug_or_name_says_why_and_changes_nothing(
    client: Client, db: AsyncSession, settings: Settings, field: str, value: str, message: str
) -> None:
    mine, _ = await reef(db)
    before = await stored(db, mine)
    form = {"name": "New Name", "contact_email": "new@reef.example", "slug": "new-reef"}
    kept = (before.name, before.contact_email, before.slug)
    await sign_in(client, db, settings, OWNER)
    refused = await save(client, mine, **{**form, field: value})
    assert refused.status_code == 400
    assert message in problems(refused)
    after = await stored(db, mine)
    assert (after.name, after.contact_email, after.slug) == kept
    assert await audited(db, mine) == {}


async def test_another_organizers_address_is_taken(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, theirs = await reef(db)
    taken = (await stored(db, theirs)).slug
    kept = (await stored(db, mine)).slug
    await sign_in(client, db, settings, OWNER)
    refused = await save(client, mine, name="Reef Bar", contact_email="a@reef.example", slug=taken)
    assert refused.status_code == 400
    assert problems(refused) == f"The address /o/{taken} is taken; pick another."
    assert (await stored(db, mine)).slug == kept
    assert await audited(db, mine) == {}


@pytest.mark.parametrize("email", ["mo@reef.example", "dee@reef.example"])
async def test_managers_and_door_leads_cannot_see_or_change_the_profile(
    client: Client, db: AsyncSession, settings: Settings, email: str
) -> None:
    mine, _ = await reef(db)
    kept = (await stored(db, mine)).name
    await sign_in(client, db, settings, email)
    links = pages.values((await client.get("/admin/")).text, "main a", "href")
    assert f"/admin/organizers/{mine}" not in links
    assert (await client.get(f"/admin/organizers/{mine}")).status_code == 403
    token = csrf_token((await client.get("/apply")).text)
    forged = await client.post(
        f"/admin/organizers/{mine}",
        data={"_csrf_token": token, "name": "Hijacked", "contact_email": "x@evil.example",
              "slug": "hijacked"},
    )  # fmt: skip
    assert forged.status_code == 403
    logo = await client.post(
        f"/admin/organizers/{mine}/logo",
        data={"_csrf_token": token},
        files={"logo": ("logo.png", small_png(), "image/png")},
    )
    assert logo.status_code == 403
    after = await stored(db, mine)
    assert (after.name, after.logo_path) == (kept, None)


async def test_another_organizers_profile_is_not_found(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, theirs = await reef(db)
    await sign_in(client, db, settings, OWNER)
    assert (await client.get(f"/admin/organizers/{theirs}")).status_code == 404


async def test_an_owner_uploads_a_logo_that_the_event_page_shows(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await reef(db)
    event = await factories.event(db, org=await stored(db, mine))
    event_page = f"/e/{event.slug}"
    await db.commit()
    await sign_in(client, db, settings, OWNER)
    uploaded = await upload_logo(client, mine, small_png())
    assert (uploaded.status_code, uploaded.headers["location"]) == (
        303, f"/admin/organizers/{mine}?saved=1"
    )  # fmt: skip
    logo = (await stored(db, mine)).logo_path
    assert logo is not None
    page = await client.get(f"/admin/organizers/{mine}")
    assert pages.one(page.text, "#logo img#current-logo")["src"] == f"/media/{logo}"
    served = await client.get(f"/media/{logo}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert pages.one((await client.get(event_page)).text, "img.logo")["src"] == f"/media/{logo}"
    assert (await audited(db, mine))["logo"] == {"before": "", "after": logo}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not an image", "not a readable PNG, JPEG or WebP image"),
        (png_claiming(9_000, 9_000), "Images may have at most 40 megapixels; this one has 81.0"),
    ],
    ids=["text", "81-megapixels"],
)
async def test_a_bad_logo_says_why_and_keeps_the_old_one(
    client: Client, db: AsyncSession, settings: Settings, raw: bytes, message: str
) -> None:
    mine, _ = await reef(db)
    await sign_in(client, db, settings, OWNER)
    refused = await upload_logo(client, mine, raw)
    assert refused.status_code == 400
    assert message in problems(refused)
    assert (await stored(db, mine)).logo_path is None
    assert await audited(db, mine) == {}
