"""Checking a guest in from the dashboard (issue 16 section 3, online): by the door's own rules,
as a scan every phone pulls, and never twice."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin import manual, sync_service
from api.checkin.services import create_pairing
from api.db import AuditEntry, PassStatus, Scan
from api.passes import services as pass_services
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import factories

Client = AsyncTestClient[Litestar]


async def test_a_dashboard_check_in_admits_once_says_when_after_and_reaches_the_phones(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, timezone="Pacific/Honolulu")
    tier = await factories.tier(db, event=event)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=2)
    first, refunded = await pass_services.issue_passes(
        db, order=order, tier_id=tier.id, count=2, secret_key=settings.secret_key
    )
    await pass_services.set_status(db, passes=[refunded], status=PassStatus.void, reason="refunded")
    pairing = await create_pairing(db, event_id=event.id, door="Gate")
    await db.commit()

    admitted = await manual.check_in(db, event=event, pass_id=first.id, actor="owner@x.io")
    await db.commit()
    assert admitted == manual.CheckIn("admit", "Admit", recorded=True)

    again = await manual.check_in(db, event=event, pass_id=first.id, actor="owner@x.io")
    [scan] = (await db.scalars(select(Scan).where(Scan.event_id == event.id))).all()
    clock = scan.scanned_at.astimezone(ZoneInfo("Pacific/Honolulu")).strftime("%I:%M %p")
    clock = clock.lstrip("0")
    assert again == manual.CheckIn(
        "already_scanned", f"Already scanned {clock} at Dashboard", recorded=False
    )
    void = await manual.check_in(db, event=event, pass_id=refunded.id, actor="owner@x.io")
    assert void == manual.CheckIn("void", "Refunded — do not admit", recorded=False)
    await db.commit()

    assert (scan.door, scan.admitted, scan.extra) == ("Dashboard", True, {"source": "dashboard"})
    actions = await db.scalars(
        select(AuditEntry.action).where(AuditEntry.organizer_id == event.organizer_id)
    )
    assert list(actions).count("checkin.dashboard") == 1

    paired = await client.post("/api/v1/scanner/pair", json={"code": pairing.code})
    auth = {"authorization": f"Bearer {paired.json()['token']}"}
    pulled = (await client.post("/api/v1/scanner/pull", json={"vector": {}}, headers=auth)).json()
    assert [(s["pass_id"], s["door"], s["source"]) for s in pulled["scans"]] == [
        (pass_key_text(first.pass_key), "Dashboard", "dashboard")
    ]
    assert await sync_service.first_doors(db, event_id=event.id) == {"Dashboard": 1}
