"""The one-click full export: a zip of every table of the organizer's, streamed, and nothing of
another organizer's in it."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import zipfile

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.exports import stream_zip
from api.app import create_app
from api.checkin.sync_service import from_millis
from api.db import (
    AuditEntry,
    Event,
    Order,
    Organizer,
    OrganizerMember,
    Refund,
    Scan,
    ScannerDevice,
    TicketTier,
)
from api.db.engine import create_engine, session_factory
from api.passes import services as pass_services
from api.settings import Settings
from tests import pages
from tests.test_dashboard import sign_in, two_organizers

Client = AsyncTestClient[Litestar]
TABLES = ["orders", "refunds", "passes", "scans", "events", "tiers", "audit"]


def _tables(archive: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.testzip() is None  # every entry's CRC checks out
        return {name: opened.read(name).decode("utf-8-sig") for name in opened.namelist()}


def _rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


async def _fill_both(db: AsyncSession, settings: Settings) -> None:
    """Passes, a refund, a double admission and an audit entry for each of the two organizers."""
    await two_organizers(db)
    for event in list(await db.scalars(select(Event))):
        order = await db.scalar(select(Order).where(Order.event_id == event.id))
        tier = await db.scalar(select(TicketTier).where(TicketTier.event_id == event.id))
        assert order is not None
        assert tier is not None
        [item] = await pass_services.issue_passes(
            db, order=order, tier_id=tier.id, count=1, secret_key=settings.secret_key
        )
        db.add(
            Refund(order_id=order.id, stripe_refund_id=f"re_{order.buyer_email}",
                   amount_minor=100, status="succeeded", initiated_by=order.buyer_email)
        )  # fmt: skip
        db.add(AuditEntry(organizer_id=event.organizer_id, actor="someone", action="x.done",
                          target=f"audit of {event.name}"))  # fmt: skip
        for minute, gate in enumerate((f"{event.name} A", f"{event.name} B")):
            device = ScannerDevice(
                event_id=event.id, name=gate, token_hash=gate.encode().ljust(32)[:32]
            )
            db.add(device)
            await db.flush()
            db.add(
                Scan(event_id=event.id, device_id=device.id, seq=1, pass_key=item.pass_key,
                     verdict="admit", admitted=True, door=gate, vector={},
                     scanned_at=from_millis(1_900_000_000_000 + minute * 60_000))
            )  # fmt: skip
    await db.commit()


async def test_the_full_export_has_every_table_of_the_organizer_and_nothing_of_another(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await _fill_both(db, settings)
    await sign_in(client, db, settings, "staff@reef.example")
    home = await client.get("/admin/")
    exports = pages.one(home.text, "[data-signed-in]")
    assert pages.text(exports, 'a[href="/admin/export.zip"]') == "Full export (zip)"
    assert pages.text(exports, 'a[href="/admin/refunds.csv"]') == "Refunds (CSV)"
    response = await client.get("/admin/export.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    tables = _tables(response.content)
    assert list(tables) == [f"{name}.csv" for name in TABLES]
    everything = "".join(tables.values())
    for theirs in ("bo@y.io", "Secret Gig", "Other Venue"):
        assert theirs not in everything
    assert [r["buyer_email"] for r in _rows(tables["orders.csv"])] == ["ana@x.io"]
    assert [r["buyer_email"] for r in _rows(tables["refunds.csv"])] == ["ana@x.io"]
    [issued] = _rows(tables["passes.csv"])
    assert (issued["buyer_email"], issued["tier"], issued["status"]) == (
        "ana@x.io",
        "Floor",
        "valid",
    )
    scans = _rows(tables["scans.csv"])
    assert [(r["door"], r["double_admission"]) for r in scans] == [
        ("Low Tide A", ""),
        ("Low Tide B", "conflict"),
    ]
    assert [r["name"] for r in _rows(tables["events.csv"])] == ["Low Tide"]
    assert [(r["event"], r["name"]) for r in _rows(tables["tiers.csv"])] == [("Low Tide", "Floor")]
    audit = _rows(tables["audit.csv"])
    assert "audit of Low Tide" in [r["target"] for r in audit]
    assert ("staff@reef.example", "export.full") in [(r["actor"], r["action"]) for r in audit]
    db.expire_all()
    recorded = await db.scalar(select(AuditEntry).where(AuditEntry.action == "export.full"))
    assert recorded is not None
    assert recorded.actor == "staff@reef.example"


async def test_a_door_lead_gets_403_for_the_full_export_and_sees_no_link(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    organizer = await db.scalar(select(Organizer).where(Organizer.name == "Reef Bar"))
    assert organizer is not None
    db.add(OrganizerMember(organizer_id=organizer.id, email="lead@reef.example", role="door_lead"))
    await db.commit()
    await sign_in(client, db, settings, "lead@reef.example")
    links = pages.values((await client.get("/admin/")).text, "main a", "href")
    assert "/admin/export.zip" not in links
    assert (await client.get("/admin/export.zip")).status_code == 403
    assert await db.scalar(select(AuditEntry).where(AuditEntry.action == "export.full")) is None


async def test_without_a_session_the_export_is_401(client: Client) -> None:
    assert (await client.get("/admin/export.zip")).status_code == 401
    assert (await client.get("/admin/refunds.csv")).status_code == 401


async def test_the_operator_exports_every_organizer(db: AsyncSession, settings: Settings) -> None:
    await _fill_both(db, settings)
    operator = dataclasses.replace(settings, admin_username="op", admin_password="pw-long-enough")
    basic = base64.b64encode(b"op:pw-long-enough").decode()
    async with AsyncTestClient(app=create_app(operator)) as client:
        response = await client.get(
            "/admin/export.zip", headers={"authorization": f"Basic {basic}"}
        )
    tables = _tables(response.content)
    assert sorted(r["buyer_email"] for r in _rows(tables["orders.csv"])) == ["ana@x.io", "bo@y.io"]
    assert len(_rows(tables["scans.csv"])) == 4


async def test_a_big_export_comes_out_in_pieces_not_as_one_block(
    db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event = await db.scalar(select(Event).where(Event.name == "Low Tide"))
    assert event is not None
    await db.execute(
        text(
            'INSERT INTO "order" (id, public_id, event_id, buyer_email, status, total_minor) '
            "SELECT gen_random_uuid(), 'bulk-' || n, :event, 'fan' || n || '@x.io', 'paid', 1000 "
            "FROM generate_series(1, 5000) AS n"
        ),
        {"event": event.id},
    )
    await db.commit()
    organizer_id = event.organizer_id
    engine = create_engine(settings.database_url or "", pool_size=1)
    chunks = [chunk async for chunk in stream_zip(session_factory(engine), [organizer_id])]
    await engine.dispose()
    assert len([c for c in chunks if c]) > 5  # written out partition by partition
    orders = _rows(_tables(b"".join(chunks))["orders.csv"])
    assert len(orders) == 5001
    assert "bo@y.io" not in {r["buyer_email"] for r in orders}
