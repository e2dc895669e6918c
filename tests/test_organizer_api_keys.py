"""The API keys page (issue 18, section 2): an owner makes a key with its scopes and sees it once;
only its fingerprint is kept; revoking it closes the API to it at once; managers may not."""

from __future__ import annotations

import hashlib
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import ApiKey, AuditEntry, OrganizerMember
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]


async def an_owner(db: AsyncSession, role: str = "owner") -> uuid.UUID:
    organizer = await factories.organizer(db, name="Reef Bar")
    db.add(OrganizerMember(organizer_id=organizer.id, email="staff@reef.example", role=role))
    await factories.event(db, org=organizer, name="Low Tide")
    await db.commit()
    return organizer.id


async def make_key(client: Client, organizer: uuid.UUID, **form: str | list[str]) -> str:
    url = f"/admin/organizers/{organizer}/api-keys"
    page = await client.get(url)
    response = await client.post(url, data={"_csrf_token": csrf_token(page.text), **form})
    return response.text


async def test_an_owner_makes_a_key_sees_it_once_and_only_its_fingerprint_is_kept(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    organizer = await an_owner(db)
    await sign_in(client, db, settings, "staff@reef.example")
    profile = await client.get(f"/admin/organizers/{organizer}/")
    assert pages.one(profile.text, "#api-keys")["href"] == (
        f"/admin/organizers/{organizer}/api-keys"
    )

    made = await make_key(client, organizer, name="Box office", scope=["read", "check-in"])
    secret = str(pages.one(made, "[data-new-key]")["value"])
    assert secret.startswith("ptx_")
    assert len(secret) == 47
    assert pages.text(made, "[data-curl]") == (
        f'curl -H "Authorization: Bearer {secret}" {settings.base_url}/api/v1/events'
    )
    assert pages.rows(made, "#keys tbody tr")[0][:3] == [
        "Box office",
        f"{secret[:12]}…",
        "read, check-in",
    ]

    key = await db.scalar(select(ApiKey).where(ApiKey.organizer_id == organizer))
    assert key is not None
    assert key.token_hash == hashlib.sha256(secret.encode()).digest()
    assert secret not in repr([getattr(key, c.key) for c in ApiKey.__table__.columns])
    again = await client.get(f"/admin/organizers/{organizer}/api-keys")
    assert secret not in again.text
    assert pages.parse(again.text).select("[data-new-key]") == []

    listed = await client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"})
    assert [e["name"] for e in listed.json()["items"]] == ["Low Tide"]
    last_used = await client.get(f"/admin/organizers/{organizer}/api-keys")
    assert pages.rows(last_used.text, "#keys tbody tr")[0][4] != "never"


async def test_a_revoked_key_is_refused_at_once_and_both_steps_are_audited(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    organizer = await an_owner(db)
    await sign_in(client, db, settings, "staff@reef.example")
    made = await make_key(client, organizer, name="Spreadsheet", scope="read")
    secret = str(pages.one(made, "[data-new-key]")["value"])
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/events", headers=headers)).status_code == 200

    key = await db.scalar(select(ApiKey).where(ApiKey.organizer_id == organizer))
    assert key is not None
    revoked = await client.post(
        f"/admin/organizers/{organizer}/api-keys/{key.id}/revoke",
        data={"_csrf_token": csrf_token(made)},
    )
    assert revoked.status_code == 200  # followed to the list
    row = pages.one(revoked.text, '#keys tr[data-key="Spreadsheet"]')
    assert row["data-state"] == "revoked"
    assert row.select("button") == []
    assert (await client.get("/api/v1/events", headers=headers)).status_code == 401
    actions = list(
        await db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.organizer_id == organizer, AuditEntry.action.like("api_key.%"))
            .order_by(AuditEntry.created_at)
        )
    )
    assert actions == ["api_key.created", "api_key.revoked"]


async def test_a_key_needs_a_name_and_a_scope(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    organizer = await an_owner(db)
    await sign_in(client, db, settings, "staff@reef.example")
    nameless = await make_key(client, organizer, name="  ", scope="read")
    assert pages.texts(nameless, "[data-problem]") == ["Name the key after what will use it."]
    no_scope = await make_key(client, organizer, name="Box office")
    assert pages.texts(no_scope, "[data-problem]") == ["Choose at least one scope."]
    odd = await make_key(client, organizer, name="Box office", scope="admin")
    assert pages.texts(odd, "[data-problem]") == ["Unknown scope: admin."]
    assert await db.scalar(select(ApiKey)) is None


async def test_managers_may_not_see_or_make_keys_and_other_organizers_are_not_found(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    organizer = await an_owner(db, role="manager")
    other = (await factories.organizer(db, name="Other Venue")).id
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    assert (await client.get(f"/admin/organizers/{organizer}/api-keys")).status_code == 403
    assert (await client.get(f"/admin/organizers/{other}/api-keys")).status_code == 404
