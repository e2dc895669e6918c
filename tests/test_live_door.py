"""The live door view: figures per tier and per door, and a poke when a door phone syncs."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.live import DoorPokes
from api.checkin.sync_service import from_millis
from api.db import Pass, Scan, ScannerDevice
from api.passes import services as pass_services
from api.settings import Settings
from tests import factories, pages
from tests.test_dashboard import sign_in, two_organizers

Client = AsyncTestClient[Litestar]
T0 = 1_900_000_000_000


@dataclass
class Night:
    event_id: uuid.UUID
    other_event_id: uuid.UUID
    passes: list[Pass]
    gates: list[ScannerDevice]


async def a_night_at_the_door(db: AsyncSession, settings: Settings) -> Night:
    """Low Tide: 3 Floor + 1 Balcony passes; Gate A admits two, Gate B admits one of them again
    (a double admission) and one more."""
    await two_organizers(db)
    from sqlalchemy import select

    from api.db import Event, Order, TicketTier

    event = await db.scalar(select(Event).where(Event.name == "Low Tide"))
    other = await db.scalar(select(Event).where(Event.name == "Secret Gig"))
    assert event is not None
    assert other is not None
    floor = await db.scalar(select(TicketTier).where(TicketTier.event_id == event.id))
    order = await db.scalar(select(Order).where(Order.event_id == event.id))
    assert floor is not None
    assert order is not None
    balcony = await factories.tier(db, event=event, name="Balcony", capacity=10)
    passes = await pass_services.issue_passes(
        db, order=order, tier_id=floor.id, count=3, secret_key=settings.secret_key
    )
    passes += await pass_services.issue_passes(
        db, order=order, tier_id=balcony.id, count=1, secret_key=settings.secret_key
    )
    gates = []
    for name in ("Gate A", "Gate B"):
        device = ScannerDevice(event_id=event.id, name=name, token_hash=name.encode().ljust(32))
        db.add(device)
        await db.flush()
        gates.append(device)
    gate_a, gate_b = gates
    for device, seq, item, minute in (
        (gate_a, 1, passes[0], 0),
        (gate_a, 2, passes[3], 1),
        (gate_b, 1, passes[0], 2),  # already in through Gate A
        (gate_b, 2, passes[1], 3),
    ):
        db.add(
            Scan(
                event_id=event.id, device_id=device.id, seq=seq, pass_key=item.pass_key,
                verdict="admit", admitted=True, door=device.name, vector={},
                scanned_at=from_millis(T0 + minute * 60_000),
            )
        )  # fmt: skip
    gate_b.pending_count = 2
    gate_b.last_sync_at = from_millis(T0 + 4 * 60_000)
    await db.commit()
    return Night(event_id=event.id, other_event_id=other.id, passes=passes, gates=gates)


async def test_the_door_figures_count_each_pass_once_by_tier_and_at_its_first_door(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    night = await a_night_at_the_door(db, settings)
    await sign_in(client, db, settings, "staff@reef.example")
    response = await client.get(f"/admin/events/{night.event_id}/door.json")
    assert response.status_code == 200
    figures = response.json()
    assert (figures["checked_in"], figures["sold"]) == (3, 4)
    tiers = {t["name"]: (t["checked_in"], t["sold"]) for t in figures["tiers"]}
    assert tiers == {"Floor": (2, 3), "Balcony": (1, 1)}
    doors = {d["door"]: (d["checked_in"], d["devices"], d["pending"]) for d in figures["doors"]}
    assert doors == {"Gate A": (2, 1, 0), "Gate B": (1, 1, 2)}

    page = await client.get(f"/admin/events/{night.event_id}/door")
    assert page.status_code == 200
    live = pages.one(page.text, "#door-live")
    assert pages.text(live, "p.big") == "Checked in 3 of 4"
    assert pages.text(live, '#tiers tr[data-tier="Floor"] [data-figure="checked-in"]') == "2"
    # (door, checked in, phones, last sync, waiting to upload)
    doors = {row[0]: row[1:3] + row[4:] for row in pages.rows(live, "#doors tr[data-door]")}
    assert doors == {"Gate A": ["2", "1", "0"], "Gate B": ["1", "1", "2"]}


async def test_another_organizers_door_is_a_404_and_signed_out_is_a_401(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    night = await a_night_at_the_door(db, settings)
    assert (await client.get(f"/admin/events/{night.event_id}/door.json")).status_code == 401
    await sign_in(client, db, settings, "staff@reef.example")
    for path in ("door", "door.json", "door/stream"):
        response = await client.get(f"/admin/events/{night.other_event_id}/{path}")
        assert response.status_code == 404, path
        assert "Secret Gig" not in response.text


async def test_a_committed_scan_pokes_the_events_listeners_and_no_other(
    db: AsyncSession, settings: Settings
) -> None:
    night = await a_night_at_the_door(db, settings)
    assert settings.database_url
    pokes = DoorPokes(settings.database_url)
    mine = pokes.pokes(night.event_id)
    theirs = pokes.pokes(night.other_event_id)
    try:
        assert (await anext(mine)).data == "listening"
        assert (await anext(theirs)).data == "listening"
        next_mine = asyncio.ensure_future(anext(mine))
        next_theirs = asyncio.ensure_future(anext(theirs))
        db.add(
            Scan(
                event_id=night.event_id, device_id=night.gates[1].id, seq=3,
                pass_key=night.passes[2].pass_key, verdict="admit", admitted=True,
                door="Gate B", vector={}, scanned_at=from_millis(T0 + 5 * 60_000),
            )
        )  # fmt: skip
        await db.commit()
        poke = await asyncio.wait_for(next_mine, timeout=10)
        assert (poke.event, poke.data) == ("poke", str(night.event_id))
        assert not next_theirs.done()
        next_theirs.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await next_theirs
    finally:
        await mine.aclose()
        await theirs.aclose()
        await pokes.close()


async def test_the_live_door_credits_the_door_the_conflicts_page_names_first(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    """Two doors admit the same passes. Pass 1: both offline at the same millisecond (a tie).
    Pass 2: door B's clock is behind, and door B had already seen door A's admission (so B
    overrode). The protocol (PROTOCOL.md 14.3) calls A first both times; ranking by scan time
    and row id credited B both times. Pass 3 was admitted once, at B."""
    night = await a_night_at_the_door(db, settings)
    for item in (*night.gates, *night.passes):
        await db.refresh(item)
    await db.execute(delete(Scan).where(Scan.event_id == night.event_id))
    # A tie goes to the device id that sorts first (PROTOCOL.md 14.3): call that door "A".
    gate_a, gate_b = sorted(night.gates, key=lambda device: str(device.id))
    first, second, third = (p.pass_key for p in night.passes[:3])
    a_id, a_door, b_door = str(gate_a.id), gate_a.name, gate_b.name
    # Row ids: door B's rows were stored first (it synced first), so they rank first by id.
    for row_id, device, seq, key, minute, vector in (
        (uuid.UUID(int=1), gate_b, 1, first, 0, {}),
        (uuid.UUID(int=2), gate_b, 2, second, 1, {a_id: 2}),  # had seen door A let them in
        (uuid.UUID(int=3), gate_b, 3, third, 5, {a_id: 2}),
        (uuid.UUID(int=4), gate_a, 1, first, 0, {}),
        (uuid.UUID(int=5), gate_a, 2, second, 2, {}),  # clock ahead of door B's
    ):
        db.add(
            Scan(
                id=row_id, event_id=night.event_id, device_id=device.id, seq=seq, pass_key=key,
                verdict="admit", admitted=True, door=device.name, vector=vector,
                scanned_at=from_millis(T0 + minute * 60_000),
            )
        )  # fmt: skip
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")

    page = await client.get(f"/admin/events/{night.event_id}/conflicts")
    rows = BeautifulSoup(page.text, "html.parser").select("#conflicts tr[data-kind]")
    named_first = sorted((str(r["data-kind"]), str(r["data-first-door"])) for r in rows)
    assert named_first == [("conflict", a_door), ("override", a_door)]
    figures = (await client.get(f"/admin/events/{night.event_id}/door.json")).json()
    doors = {d["door"]: d["checked_in"] for d in figures["doors"]}
    assert doors == {a_door: 2, b_door: 1}
    assert figures["checked_in"] == 3
