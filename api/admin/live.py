"""The door, live: checked-in against sold per tier and per door, who is inside now on each door
list and tier (exits counted, `sync_service.inside_now`), updated without a reload.

The page pulls its figures from `door.json`; `door/stream` is a server-sent event stream that
only says "poke" when something changed, so the data always comes from one query path and a
missed poke costs nothing but a moment's delay (the page also pulls every 30 s).

Pokes come from PostgreSQL: triggers send `NOTIFY door, '<event id>'` when scans, passes or
devices of an event change (migration b7d41c2e9f10), whichever process wrote them. Each app
process keeps one LISTEN connection (`DoorPokes`, over `api.db.listen.Listener`), opened when
the first page subscribes, and fans notifications out to that process's open streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import sync
from api.admin.access import Who
from api.admin.deps import ThisEvent
from api.checkin import door_lists
from api.checkin.sync_service import first_doors, inside_now, moved_state
from api.db import Event, Pass, PassStatus, Scan, ScannerDevice, TicketTier, utcnow
from api.db.listen import Listener
from api.web.deps import DB
from api.web.security import NO_STORE

CHANNEL = "door"
KEEPALIVE_SECONDS = 15.0


class DoorPokes:
    """One LISTEN connection per process (a shared `Listener`), fanned out to the open pages."""

    def __init__(self, database_url: str) -> None:
        self._listener = Listener(database_url, CHANNEL)
        self._listener.subscribe(self._poked)
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    @property
    def listening(self) -> bool:
        return self._listener.listening

    async def _ensure(self) -> None:
        await self._listener.ensure()

    def _poked(self, payload: str | None) -> None:
        if payload is not None:
            for waiter in self._waiters.get(payload, ()):
                waiter.set()
            return
        for waiters in self._waiters.values():  # the connection was lost
            for waiter in waiters:
                waiter.set()  # they may have missed a change: pull now

    async def pokes(self, event_id: uuid.UUID) -> AsyncGenerator[ServerSentEventMessage, None]:
        """Server-sent events for one event: "poke" on change, a comment to keep proxies open."""
        key = str(event_id)
        waiter = asyncio.Event()
        self._waiters[key].add(waiter)
        try:
            await self._ensure()
            yield ServerSentEventMessage(event="ready", data="listening" if self.listening else "")
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(KEEPALIVE_SECONDS):
                        await waiter.wait()
                if waiter.is_set():
                    waiter.clear()
                    if not self.listening:
                        await self._ensure()
                    yield ServerSentEventMessage(event="poke", data=key)
                else:
                    yield ServerSentEventMessage(comment="keep-alive")
        finally:
            self._waiters[key].discard(waiter)
            if not self._waiters[key]:
                del self._waiters[key]

    async def close(self) -> None:
        await self._listener.close()


class TierFigures(msgspec.Struct):
    name: str
    sold: int
    checked_in: int


class DoorFigures(msgspec.Struct):
    door: str
    checked_in: int
    devices: int
    last_sync_at: datetime | None
    pending: int


class DeviceFigures(msgspec.Struct):
    name: str
    last_sync_at: datetime | None
    pending: int
    revoked: bool


class TierInside(msgspec.Struct):
    name: str
    inside: int


class ListInside(msgspec.Struct):
    """Passes inside now on one door list ("All passes": phones on no list), per tier."""

    name: str
    inside: int
    tiers: list[TierInside]


DEFAULT_LIST_NAME = "All passes"


class LiveFigures(msgspec.Struct):
    event_id: uuid.UUID
    event: str
    timezone: str
    sold: int
    checked_in: int
    tiers: list[TierFigures]
    doors: list[DoorFigures]
    devices: list[DeviceFigures]
    as_of: datetime
    lists: list[ListInside] = msgspec.field(default_factory=list)


async def live_figures(db: AsyncSession, event: Event) -> LiveFigures:
    """Every figure of the live door view, in four grouped queries."""
    # Checked in: passes admitted at least once (a pass refunded after entry still counts as
    # inside); sold: passes still valid.
    admitted = (
        select(Scan.pass_key)
        .distinct()
        .where(Scan.event_id == event.id, Scan.admitted, Scan.pass_key.is_not(None))
        .subquery()
    )
    tier_rows = (
        await db.execute(
            select(
                TicketTier.name,
                func.count(Pass.id).filter(Pass.status == PassStatus.valid),
                func.count(admitted.c.pass_key),
            )
            .outerjoin(Pass, Pass.tier_id == TicketTier.id)
            .outerjoin(admitted, admitted.c.pass_key == Pass.pass_key)
            .where(TicketTier.event_id == event.id)
            .group_by(TicketTier.id, TicketTier.name, TicketTier.position)
            .order_by(TicketTier.position, TicketTier.name)
        )
    ).all()
    tiers = [TierFigures(name=n, sold=int(s), checked_in=int(c)) for n, s, c in tier_rows]
    # A pass counts at the door that first admitted it, by the protocol's rule (the one the
    # conflicts page names): scans elsewhere are double admissions.
    # Passes moved more than once, loaded once for both figures that put them in order.
    moved = await moved_state(db, event_id=event.id)
    by_door = await first_doors(db, event_id=event.id, moved=moved)
    device_rows = list(
        await db.scalars(
            select(ScannerDevice)
            .where(ScannerDevice.event_id == event.id, ScannerDevice.dashboard.is_(False))
            .order_by(ScannerDevice.name, ScannerDevice.created_at)
        )
    )
    doors: dict[str, DoorFigures] = {
        name: DoorFigures(door=name, checked_in=int(n), devices=0, last_sync_at=None, pending=0)
        for name, n in by_door.items()
    }
    for device in device_rows:
        if device.revoked_at is not None:
            continue
        door = doors.setdefault(
            device.name,
            DoorFigures(door=device.name, checked_in=0, devices=0, last_sync_at=None, pending=0),
        )
        door.devices += 1
        door.pending += device.pending_count
        if device.last_sync_at and (
            door.last_sync_at is None or device.last_sync_at > door.last_sync_at
        ):
            door.last_sync_at = device.last_sync_at
    return LiveFigures(
        event_id=event.id,
        event=event.name,
        timezone=event.timezone,
        sold=sum(t.sold for t in tiers),
        checked_in=sum(t.checked_in for t in tiers),
        tiers=tiers,
        doors=sorted(doors.values(), key=lambda d: d.door.lower()),
        devices=[
            DeviceFigures(
                name=d.name,
                last_sync_at=d.last_sync_at,
                pending=d.pending_count,
                revoked=d.revoked_at is not None,
            )
            for d in device_rows
        ],
        as_of=utcnow(),
        lists=await _inside_by_list(db, event, [t.name for t in tiers], moved),
    )


async def _inside_by_list(
    db: AsyncSession, event: Event, tier_names: list[str], moved: sync.State
) -> list[ListInside]:
    """Inside now on "All passes" and each of the event's door lists, per tier it admits (and any
    other tier someone is inside on), in the tiers' order."""
    counts = await inside_now(db, event_id=event.id, moved=moved)
    names = dict((await db.execute(
        select(TicketTier.id, TicketTier.name).where(TicketTier.event_id == event.id)
    )).all())  # fmt: skip
    lists: list[tuple[str, str, list[str]]] = [
        (door_lists.wire_list_id(None), DEFAULT_LIST_NAME, tier_names)
    ]
    for item in await door_lists.event_lists(db, event_id=event.id):
        admits = tier_names if item.tier_ids is None else [
            n for n in tier_names if n in {names.get(t) for t in item.tier_ids}
        ]  # fmt: skip
        lists.append((door_lists.wire_list_id(item.id), item.name, admits))
    found = []
    for list_id, name, admits in lists:
        shown = admits + sorted(
            {t for (lid, t), n in counts.items() if lid == list_id and n and t not in admits}
        )
        tiers = [TierInside(name=t, inside=counts.get((list_id, t), 0)) for t in shown]
        found.append(ListInside(name=name, inside=sum(t.inside for t in tiers), tiers=tiers))
    return found


class LiveDoor(Controller):
    """`/admin/events/{id}/door` (the page), `door.json` (the figures), `door/stream` (pokes)."""

    path = "/events/{event_id:uuid}"

    @get("/door")
    async def page(self, db: DB, who: Who, event: ThisEvent) -> Template:
        figures = await live_figures(db, event)
        return Template(
            template_name="admin/door_live.html",
            context={"who": who.who, "event": event, "figures": figures},
            headers=NO_STORE,
        )

    @get("/door.json")
    async def figures(self, db: DB, event: ThisEvent) -> LiveFigures:
        return await live_figures(db, event)

    @get("/door/stream")
    async def stream(self, request: Request[Any, Any, Any], event: ThisEvent) -> ServerSentEvent:
        pokes: DoorPokes = request.app.state.door_pokes
        return ServerSentEvent(
            pokes.pokes(event.id),
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
