"""Checking a guest in from the dashboard's order page (online), by the door's own rules.

The check-in is a scan like a phone's: a dot of the event's "Dashboard" device (one per event,
`ScannerDevice.dashboard`, holding no token anyone has), stored through the same push path, so
the live door, the conflicts page and every phone's next pull see it as they see any scan. Its
verdict is `sync.verdict` on what the server holds of the pass (its status and every movement),
on the default door list; its vector is everything the server holds, so a second admission it
records is an override, never a conflict. Only a green verdict is recorded: the organizer is
shown anything else ("Already scanned 7:34 PM", "Refunded — do not admit") and nothing is
written. The scan carries `source: "dashboard"`.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

import sync
from api import audit, formatting
from api.checkin import services, sync_service
from api.db import Event, Pass, Scan, ScannerDevice, TicketTier, utcnow
from api.passes.tokens import pass_key_text
from sync.verdicts import GREEN_CODES

DOOR = "Dashboard"
SOURCE = "dashboard"


@dataclass(frozen=True)
class CheckIn:
    code: str
    """The verdict's reason code (`admit`, `already_scanned`, `void`, ...)."""
    words: str
    """What the organizer is shown, in the door's words."""
    recorded: bool


async def dashboard_device(session: AsyncSession, *, event: Event) -> ScannerDevice:
    """The event's dashboard device, made on first use (concurrent first uses share one)."""
    await session.execute(
        insert(ScannerDevice)
        .values(
            event_id=event.id,
            name=DOOR,
            token_hash=services.digest(secrets.token_urlsafe(32)),
            dashboard=True,
        )
        .on_conflict_do_nothing(index_elements=["event_id"], index_where=text("dashboard"))
    )
    device = await session.scalar(
        select(ScannerDevice)
        .where(ScannerDevice.event_id == event.id, ScannerDevice.dashboard)
        .with_for_update()
    )
    assert device is not None, "the dashboard device was just made or found"
    return device


async def check_in(
    session: AsyncSession, *, event: Event, pass_id: uuid.UUID, actor: str
) -> CheckIn:
    """Check the pass in at the dashboard if the door would admit it; audited when recorded.
    Raises LookupError for a pass that is not this event's. The caller commits."""
    row = (
        await session.execute(
            select(Pass, TicketTier.name)
            .join(TicketTier, TicketTier.id == Pass.tier_id)
            .where(Pass.id == pass_id, Pass.event_id == event.id)
        )
    ).one_or_none()
    if row is None:
        raise LookupError(f"pass {pass_id} is not one of this event's")
    item, tier = row
    device = await dashboard_device(session, event=event)
    wire_id = pass_key_text(item.pass_key)
    state = sync.new_state()
    sync.apply_snapshot(
        state,
        server_seq=max(event.change_seq, 1),
        passes={wire_id: {"status": item.status, "tier": tier, "reason": item.void_reason}},
    )
    moves = await session.scalars(
        select(Scan).where(Scan.event_id == event.id, Scan.pass_key == item.pass_key)
    )
    sync.merge(state, [sync_service.scan_to_wire(scan) for scan in moves])
    now = sync_service.millis(utcnow())
    device_id = str(device.id)
    verdict = sync.verdict(
        state,
        token={"ok": True, "pass_id": wire_id, "event_ok": True},
        device=device_id,
        now=now,
        recent=None,
    )
    words = _words(sync.message(verdict), event)
    if verdict["code"] not in GREEN_CODES:
        return CheckIn(verdict["code"], words, recorded=False)
    seq = await sync_service.held_high(session, device_id=device.id) + 1
    scan = dict(
        sync.new_scan(state, device=device_id, verdict=verdict, door=DOOR, scanned_at=now),
        seq=seq,
        vector={**await _held(session, event), sync.SERVER: event.change_seq, device_id: seq - 1},
        source=SOURCE,
    )
    await sync_service.push(session, device=device, scans=[scan], pending=None)
    audit.record(
        session,
        organizer_id=event.organizer_id,
        actor=actor,
        action="checkin.dashboard",
        target=wire_id,
        details={"event_id": str(event.id), "pass_id": str(item.id)},
    )
    return CheckIn(verdict["code"], words, recorded=True)


async def _held(session: AsyncSession, event: Event) -> dict[str, int]:
    """Every device's highest seq the server holds for the event: the dashboard saw them all."""
    rows = await session.execute(
        select(Scan.device_id, func.max(Scan.seq))
        .where(Scan.event_id == event.id)
        .group_by(Scan.device_id)
    )
    return {str(device_id): int(high) for device_id, high in rows.all()}


def _words(shown: sync.Message, event: Event) -> str:
    """The verdict as the door phone says it: with its time (in the event's zone) and door."""
    words = shown["title"]
    if shown["at"] is not None and shown["code"] in ("already_scanned", "not_yet", "closed"):
        words += " " + formatting.clock(sync_service.from_millis(shown["at"]), event.timezone)
    if shown["door"] and shown["code"] == "already_scanned":
        words += f" at {shown['door']}"
    return words
