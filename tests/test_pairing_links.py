"""Pairing links: single use or N uses, who paired with each, revoking a link or a phone.

A link forwarded beyond the door staff used to pair any number of phones for 7 days and could
not be withdrawn; each story here is one way that went wrong.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup, Tag
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.services import PairingError, create_pairing, pair_device, used_up
from api.db import AuditEntry, OrganizerMember, ScannerDevice, ScannerPairing
from api.db.engine import create_engine, session_factory
from api.settings import Settings
from tests import factories
from tests.forms import csrf_token
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]
OWNER = "owner@reef.example"


async def _pair(client: Client, code: str, name: str = "") -> tuple[int, dict[str, str]]:
    response = await client.post("/api/v1/scanner/pair", json={"code": code, "name": name})
    return response.status_code, response.json()


@dataclass(frozen=True)
class Night:
    id: uuid.UUID
    organizer_id: uuid.UUID
    slug: str


async def _event(db: AsyncSession) -> Night:
    event = await factories.event(db)
    db.add(OrganizerMember(organizer_id=event.organizer_id, email=OWNER, role="owner"))
    await db.commit()
    return Night(id=event.id, organizer_id=event.organizer_id, slug=event.slug)


def _page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _one(page: BeautifulSoup | Tag, selector: str) -> Tag:
    found = page.select_one(selector)
    assert found is not None, selector
    return found


async def _submit(client: Client, form: Tag) -> int:
    """Press the form's button as a browser does: its action, with its CSRF token."""
    token = _one(form, 'input[name="_csrf_token"]')["value"]
    response = await client.post(
        str(form["action"]), data={"_csrf_token": str(token)}, follow_redirects=False
    )
    return response.status_code


async def test_a_single_use_link_pairs_one_phone_and_tells_the_second_to_ask_for_a_new_one(
    client: Client, db: AsyncSession
) -> None:
    event = await _event(db)
    pairing = await create_pairing(db, event_id=event.id, door="Main gate")
    await db.commit()

    first, paired = await _pair(client, pairing.code, "Gate A")
    assert first == 201
    assert paired["door"] == "Gate A"
    second, refused = await _pair(client, pairing.code, "Gate B")
    assert second == 403
    assert refused["detail"] == (
        "This pairing link was for one phone and has already paired it — "
        "ask the organizer for a new one."
    )
    assert await db.scalar(select(func.count()).select_from(ScannerDevice)) == 1


async def test_a_link_made_for_three_phones_pairs_three_then_refuses(
    client: Client, db: AsyncSession
) -> None:
    event = await _event(db)
    pairing = await create_pairing(db, event_id=event.id, door="Main gate", uses=3)
    await db.commit()

    answers = [await _pair(client, pairing.code, f"Gate {n}") for n in "ABCD"]
    assert [status for status, _ in answers] == [201, 201, 201, 403]
    assert answers[3][1]["detail"] == (
        "This pairing link has already paired all 3 phones it was made for — "
        "ask the organizer for a new one."
    )


async def test_twenty_phones_opening_a_single_use_link_at_once_pair_exactly_one(
    db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db)
    pairing = await create_pairing(db, event_id=event.id, door="Main gate")
    await db.commit()
    # Twenty connections, as twenty web requests would hold: each pairs and commits on its own.
    # (Through the test client the requests queue on the shared rate-limit row and barely
    # overlap; here every phone reads the link before the first one commits.)
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=20)
    sessions = session_factory(engine)

    async def phone(n: int) -> str:
        async with sessions() as session:
            try:
                await pair_device(session, code=pairing.code, name=f"Gate {n}")
            except PairingError as refused:
                return str(refused)
            await session.commit()
            return "paired"

    try:
        answers = await asyncio.gather(*(phone(n) for n in range(20)))
    finally:
        await engine.dispose()
    assert answers.count("paired") == 1
    assert set(answers) - {"paired"} == {used_up(1)}
    assert await db.scalar(select(func.count()).select_from(ScannerDevice)) == 1
    assert await db.scalar(select(ScannerPairing.uses_left)) == 0


async def test_the_organizer_makes_a_link_for_two_phones_sees_who_paired_and_revokes_it(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db)
    await sign_in(client, db, settings, OWNER)
    devices = f"/admin/events/{event.id}/devices"
    page = await client.get(devices)
    made = await client.post(
        f"{devices}/pairing",
        data={"_csrf_token": csrf_token(page.text), "door": "Beach gate", "uses": "2"},
    )
    shown = _page(made.text)
    said = " ".join(_one(shown, "#pairing").get_text(" ").split())
    assert "It pairs up to 2 phones, within 7 days." in said
    code = _one(shown, "#pairing-link")["href"].split("#pair=")[1]  # type: ignore[union-attr]
    assert (await _pair(client, code, "Gate A"))[0] == 201

    listing = _page((await client.get(devices)).text)
    row = _one(listing, "#pairing-links tr[data-pairing]")
    assert row["data-state"] == "active"
    assert _one(row, "td:nth-of-type(3)").get_text(strip=True) == "1 of 2"
    assert [s["data-paired"] for s in row.select("[data-paired]")] == ["Gate A"]

    assert await _submit(client, _one(row, "form")) == 303
    status, refused = await _pair(client, code, "Gate B")
    assert status == 403
    assert refused["detail"] == "This pairing link was revoked — ask the organizer for a new one."
    # The phone already paired keeps working: revoking a link stops new pairings only.
    listing = _page((await client.get(devices)).text)
    row = _one(listing, "#pairing-links tr[data-pairing]")
    assert row["data-state"] == "revoked"
    assert _one(listing, '#devices tr[data-device="Gate A"]')["data-revoked"] == "false"

    audit = (
        await db.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.organizer_id)
            .where(AuditEntry.action.like("device.%"))
            .order_by(AuditEntry.created_at)
        )
    ).all()
    assert [tuple(a) for a in audit] == [
        ("device.pairing_created", OWNER, event.organizer_id),
        ("device.pairing_revoked", OWNER, event.organizer_id),
    ]


async def test_a_phone_removed_from_the_door_is_refused_on_push_and_pull(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db)
    pairing = await create_pairing(db, event_id=event.id, door="Main gate")
    await db.commit()
    _, paired = await _pair(client, pairing.code, "Gate A")
    auth = {"authorization": f"Bearer {paired['token']}"}
    assert (await client.post("/api/v1/scanner/pull", json={"vector": {}}, headers=auth)).is_success

    await sign_in(client, db, settings, OWNER)
    devices = f"/admin/events/{event.id}/devices"
    listing = _page((await client.get(devices)).text)
    assert await _submit(client, _one(listing, '#devices tr[data-device="Gate A"] form')) == 303

    push = await client.post("/api/v1/scanner/push", json={"scans": []}, headers=auth)
    pull = await client.post("/api/v1/scanner/pull", json={"vector": {}}, headers=auth)
    assert (push.status_code, pull.status_code) == (401, 401)
    assert "Its scans are kept on the phone" in pull.json()["detail"]
    device_id = uuid.UUID(paired["device_id"])
    [entry] = (
        await db.scalars(select(AuditEntry).where(AuditEntry.action == "device.revoked"))
    ).all()
    assert (entry.actor, entry.organizer_id) == (OWNER, event.organizer_id)
    assert entry.details["device_id"] == str(device_id)


async def test_poctix_scanner_link_is_single_use_unless_told_how_many_phones(
    client: Client, db: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    event = await _event(db)
    env = {"DATABASE_URL": str(settings.database_url), "DATA_DIR": str(tmp_path),
           "SECRET_KEY": settings.secret_key, "BASE_URL": "http://tickets.example",
           "ENVIRONMENT": "test", "PATH": "/usr/bin:/bin"}  # fmt: skip

    async def link(*extra: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "api.cli", "scanner-link", event.slug, *extra, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        return out.decode().strip().split("#pair=")[1]

    single, double = await link(), await link("--door", "Side door", "--uses", "2")
    assert [(await _pair(client, single))[0] for _ in range(2)] == [201, 403]
    assert [(await _pair(client, double))[0] for _ in range(3)] == [201, 201, 403]
    actors = await db.scalars(
        select(AuditEntry.actor).where(AuditEntry.action == "device.pairing_created")
    )
    assert all(actor.startswith("command line") for actor in actors)
