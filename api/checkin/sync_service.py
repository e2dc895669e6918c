"""The server side of door sync: bootstrap snapshot, push, pull by vector, conflicts.

The rules live in `sync/` (the same code the golden vectors test, mirrored in JavaScript); this
module only moves records between PostgreSQL and that core:

- bootstrap reads the event's passes and its change counter in one REPEATABLE READ snapshot,
  so the vector it hands out covers exactly the passes it lists;
- push locks the device row (one push per device at a time), validates the batch with
  `sync.validate_push`, inserts with ON CONFLICT DO NOTHING on (device, seq) and answers the
  highest seq held, which is gap-free because a gap is refused; a well-formed scan the database
  cannot hold is replaced by a placeholder under its dot and named in the answer
  (`api.checkin.storable`);
- pull answers what the device's vector does not cover, in the order `sync.changes_since`
  defines (pass changes by seq, then other devices' scans by device and seq), in SQL;
- conflicts loads only the admissions of passes admitted twice or more and lets
  `sync.conflicts` classify them; `first_doors` credits each such pass to the door of
  `sync.canonical_first` the same way (the live door view counts by it).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

import sync
from api.checkin import door_lists, storable, wire
from api.db import Event, EventKey, Pass, Scan, ScannerDevice, TicketTier, utcnow, uuid7
from api.outgoing import hooks as outgoing
from api.passes.tokens import parse_pass_key_text, pass_key_text
from sync.movements import movements_by_list

_KNOWN_SCAN_FIELDS = {
    "device", "seq", "pass_id", "scanned_at", "verdict", "admitted", "door", "vector", "code"
}  # fmt: skip
# A phone's count of unsent scans is shown on the dashboard; the column is a 32-bit integer.
PENDING_MAX = 2**31 - 1


class PushRefused(Exception):
    def __init__(self, error: sync.PushError) -> None:
        super().__init__(error["message"])
        self.error = error


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_millis(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_PACK = text(
    """
    SELECT count(*) AS count,
           coalesce(string_agg(p.pass_key || int2send((256 * CASE
                        WHEN p.status = 'valid' THEN 0
                        WHEN p.void_reason = 'refunded' THEN 1
                        WHEN p.void_reason = 'disputed' THEN 2
                        WHEN p.void_reason = 'event_cancelled' THEN 4
                        ELSE 3 END
                    + (array_position(CAST(:tiers AS uuid[]), p.tier_id) - 1) % 256)::int2),
               ''::bytea), ''::bytea) AS data
    FROM pass AS p
    WHERE p.event_id = :event_id AND p.tier_id = ANY(CAST(:tiers AS uuid[]))
    """
)
"""Every pass of the event as `wire.PassPack` records, packed by PostgreSQL in one value (a
200,000-pass event is one 2.6 MB row instead of 200,000 rows through the driver). `:tiers` is
the event's tier ids in the bootstrap's order; a record's last two bytes are one big-endian
`int2send` (status * 256 + tier index) rather than two `set_byte` calls on a fresh value, and
no join: a quarter faster at 200,000 passes."""


async def bootstrap(
    session: AsyncSession, *, device: ScannerDevice
) -> tuple[wire.Bootstrap, bytes]:
    """The device's snapshot: the answer with an empty `passes.data`, and the packed passes.
    The JSON endpoint sends the pack in base64 inside the answer; the binary one after it
    (`wire.frame_bootstrap`)."""
    device_info = wire.DeviceInfo(
        id=device.id, door=device.name, list=door_lists.wire_list_id(device.door_list_id)
    )
    event_id = device.event_id
    # A fresh REPEATABLE READ transaction: the pass list and the change counter are one snapshot.
    await session.rollback()
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    event = await session.get_one(Event, event_id)
    keys = (await session.scalars(select(EventKey).where(EventKey.event_id == event.id))).all()
    tiers = (
        await session.scalars(
            select(TicketTier)
            .where(TicketTier.event_id == event.id)
            .order_by(TicketTier.position, TicketTier.id)
        )
    ).all()
    count, pack = (
        await session.execute(_PACK, {"event_id": event.id, "tiers": [t.id for t in tiers]})
    ).one()
    answer = wire.Bootstrap(
        event=wire.EventInfo(
            id=event.id,
            name=event.name,
            venue=event.venue,
            timezone=event.timezone,
            starts_at=millis(event.starts_at),
            ends_at=millis(event.ends_at),
        ),
        device=device_info,
        keys=[wire.PublicKey(kid=k.kid, public_key=_b64url(k.public_key)) for k in keys],
        tiers=[tier.name for tier in tiers],
        passes=wire.PassPack(count=count, data=""),
        vector={sync.SERVER: event.change_seq},
        server_time=millis(utcnow()),
        lists=await door_lists.records(session, event_id=event.id),
    )
    return answer, bytes(pack)


async def held_high(session: AsyncSession, *, device_id: uuid.UUID) -> int:
    high = await session.scalar(select(func.max(Scan.seq)).where(Scan.device_id == device_id))
    return int(high or 0)


def _pass_key(scan: Mapping[str, Any], index: int) -> bytes | None:
    pass_id = scan.get("pass_id")
    if pass_id is None:
        return None
    key = parse_pass_key_text(str(pass_id))
    if key is None:
        raise PushRefused(
            {
                "code": "bad_type",
                "message": f"scan {index}: pass_id must be 18 base32 characters",
                "expected": None,
            }
        )
    return key


async def push(
    session: AsyncSession,
    *,
    device: ScannerDevice,
    scans: Sequence[Mapping[str, Any]],
    pending: int | None,
    app_version: str | None = None,
) -> tuple[int, list[wire.RefusedScan]]:
    """Store a device's scans; return the highest gap-free seq held for it, and the scans
    of the batch kept only as placeholders (`api.checkin.storable`), with the reason."""
    locked = await session.scalar(
        select(ScannerDevice).where(ScannerDevice.id == device.id).with_for_update()
    )
    assert locked is not None
    held = await held_high(session, device_id=device.id)
    error = sync.validate_push(device=str(device.id), held_high=held, scans=list(scans))
    if error is not None:
        raise PushRefused(error)
    refused: list[wire.RefusedScan] = []
    received_at = millis(utcnow())
    fresh: list[Mapping[str, Any]] = []
    for scan in scans:
        code = storable.problem(scan)
        if code is not None:
            refused.append(
                wire.RefusedScan(seq=scan["seq"], code=code, reason=storable.REASONS[code])
            )
            scan = storable.placeholder(scan, code=code, received_at=received_at)
        if int(scan["seq"]) > held:
            fresh.append(scan)
    if fresh:
        await _insert_scans(session, device=device, scans=fresh)
        # outgoing webhooks: pass.checked_in, once, as the admission reaches the server
        await outgoing.checked_in(
            session, device=device, scans=fresh,
            pass_keys=[_pass_key(scan, index) for index, scan in enumerate(fresh)],
        )  # fmt: skip
    acked = max(held, max((int(s["seq"]) for s in scans), default=0))
    locked.last_sync_at = utcnow()
    if app_version:
        locked.app_version = app_version
    if pending is not None:
        locked.pending_count = min(max(pending, 0), PENDING_MAX)
    return acked, refused


_INSERT_SCANS = """
    INSERT INTO scan (id, event_id, device_id, seq, pass_key, verdict, admitted, door,
                      scanned_at, vector, raw_code, extra, received_at)
    SELECT u.id, $1, $2, u.seq, u.pass_key, u.verdict, u.admitted, u.door,
           u.scanned_at, u.vector::jsonb, u.raw_code, u.extra::jsonb, now()
    FROM unnest($3::uuid[], $4::bigint[], $5::bytea[], $6::text[], $7::bool[], $8::text[],
                $9::timestamptz[], $10::text[], $11::text[], $12::text[])
         AS u(id, seq, pass_key, verdict, admitted, door, scanned_at, vector, raw_code, extra)
    ON CONFLICT (device_id, seq) DO NOTHING
"""


async def _insert_scans(
    session: AsyncSession, *, device: ScannerDevice, scans: Sequence[Mapping[str, Any]]
) -> None:
    """One INSERT … SELECT FROM unnest(arrays): a 1,000-scan batch is one round trip with
    twelve parameters, instead of a statement with twelve thousand."""
    columns: tuple[list[Any], ...] = tuple([] for _ in range(10))
    for index, scan in enumerate(scans):
        values = (
            uuid7(),
            scan["seq"],
            _pass_key(scan, index),
            scan["verdict"],
            scan["admitted"],
            str(scan["door"])[:80],
            from_millis(scan["scanned_at"]),
            json.dumps(scan["vector"]),
            str(scan["code"])[:200] if scan.get("code") else None,
            json.dumps({k: v for k, v in scan.items() if k not in _KNOWN_SCAN_FIELDS}),
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.execute(_INSERT_SCANS, device.event_id, device.id, *columns)


def scan_to_wire(row: Scan) -> dict[str, Any]:
    record: dict[str, Any] = dict(row.extra or {})
    record.update(
        device=str(row.device_id),
        seq=row.seq,
        pass_id=pass_key_text(row.pass_key) if row.pass_key is not None else None,
        scanned_at=millis(row.scanned_at),
        verdict=row.verdict,
        admitted=row.admitted,
        door=row.door,
        vector=dict(row.vector),
    )
    if row.raw_code:
        record["code"] = row.raw_code
    return record


_CHANGES_SQL = text(
    """
    SELECT pc.seq, p.pass_key, pc.status, pc.reason, t.name AS tier
    FROM pass_change pc
    JOIN pass p ON p.id = pc.pass_id
    JOIN ticket_tier t ON t.id = p.tier_id
    WHERE pc.event_id = :event_id AND pc.seq > :after
    ORDER BY pc.seq
    LIMIT :limit
    """
)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def pull(
    session: AsyncSession,
    *,
    device: ScannerDevice,
    vector: Mapping[str, int],
    limit: int,
    app_version: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """(pass changes, scans, more): what `vector` does not cover, as `sync.changes_since`."""
    changes: list[dict[str, Any]] = []
    for row in await session.execute(
        _CHANGES_SQL,
        {"event_id": device.event_id, "after": vector.get(sync.SERVER, 0), "limit": limit + 1},
    ):
        changes.append(
            {
                "origin": sync.SERVER,
                "seq": row.seq,
                "pass_id": pass_key_text(row.pass_key),
                "status": row.status,
                "tier": row.tier,
                "reason": None if row.reason == "issued" else row.reason,
            }
        )
    if len(changes) > limit:
        return changes[:limit], [], True
    budget = limit - len(changes)
    # Only device ids can cover a scan: other keys are ignored, so junk (a NUL byte, which
    # PostgreSQL's jsonb refuses) never reaches the query.
    known = literal({k: v for k, v in vector.items() if _is_uuid(k)}, type_=JSONB)
    covered = func.coalesce(cast(known[cast(Scan.device_id, Text)].astext, BigInteger), 0)
    rows = (
        await session.scalars(
            select(Scan)
            .where(
                Scan.event_id == device.event_id, Scan.device_id != device.id, Scan.seq > covered
            )
            .order_by(cast(Scan.device_id, Text), Scan.seq)
            .limit(budget + 1)
        )
    ).all()
    scans = [scan_to_wire(row) for row in rows[:budget]]
    device_row = await session.get_one(ScannerDevice, device.id)
    device_row.last_sync_at = utcnow()
    if app_version:
        device_row.app_version = app_version
    return changes, scans, len(rows) > budget


_EXIT = Scan.extra["direction"].astext == sync.OUT
_LIST = func.coalesce(Scan.extra["list"].astext, sync.DEFAULT_LIST)


def _movement(event_id: uuid.UUID) -> ColumnElement[bool]:
    """Scans of the event that move a pass: admissions, and exits (`sync.movements`)."""
    return and_(
        Scan.event_id == event_id,
        Scan.pass_key.is_not(None),
        or_(Scan.admitted, and_(_EXIT, Scan.admitted.is_(False))),
    )


def _simple_passes(event_id: uuid.UUID, *, simple: bool) -> Select[bytes | None]:
    """The pass keys of the event with one admission and no exit (`simple`), or with more
    movements: only the second kind needs the protocol's order to be counted."""
    moves = func.count()
    exits = func.count().filter(_EXIT)
    query = select(Scan.pass_key).where(_movement(event_id)).group_by(Scan.pass_key)
    if simple:
        return query.having(and_(moves == 1, exits == 0))
    return query.having(or_(moves > 1, exits > 0))


async def moved_state(session: AsyncSession, *, event_id: uuid.UUID) -> sync.State:
    """A sync state holding the admissions and exits of every pass that has more than one
    movement, or an exit: the passes whose double admissions, first door and whereabouts need
    the protocol's order (sync/PROTOCOL.md sections 14 and 19). A page showing several figures
    loads it once and hands it to each (`first_doors`, `inside_now`)."""
    rows = (
        await session.scalars(
            select(Scan).where(
                _movement(event_id), Scan.pass_key.in_(_simple_passes(event_id, simple=False))
            )
        )
    ).all()
    state = sync.new_state()
    sync.merge(state, [scan_to_wire(row) for row in rows])
    return state


async def conflicts(session: AsyncSession, *, event_id: uuid.UUID) -> list[sync.Conflict]:
    """Every double admission of the event, classified by `sync.conflicts`."""
    return sync.conflicts(await moved_state(session, event_id=event_id))


def _lists_of(state: sync.State, pass_id: str) -> list[str]:
    """The door lists the pass moved on."""
    return list(movements_by_list(state, pass_id))


async def first_doors(
    session: AsyncSession, *, event_id: uuid.UUID, moved: sync.State | None = None
) -> dict[str, int]:
    """Door name -> passes it admitted first, on each door list. A pass admitted once counts at
    that door (in SQL: there is nothing to rank); one moved more often at the door of
    `sync.canonical_first` on each list, the admission the conflicts page and every phone call
    first (PROTOCOL.md section 14.3)."""
    once = await session.execute(
        select(Scan.door, func.count())
        .where(
            _movement(event_id),
            Scan.admitted,
            Scan.pass_key.in_(_simple_passes(event_id, simple=True)),
        )
        .group_by(Scan.door)
    )
    counts = Counter({door: int(n) for door, n in once.all()})
    state = moved if moved is not None else await moved_state(session, event_id=event_id)
    for pass_id in _moved(state):
        for list_id in _lists_of(state, pass_id):
            first = sync.canonical_first(state, pass_id, list_id=list_id)
            if first is not None:
                counts[first["door"]] += 1
    return dict(counts)


def _moved(state: sync.State) -> set[str]:
    return {*state["admissions"], *state.get("exits", {})}


async def inside_now(
    session: AsyncSession, *, event_id: uuid.UUID, moved: sync.State | None = None
) -> dict[tuple[str, str], int]:
    """(door list id, tier name) -> passes inside now, by the protocol's rule
    (`sync.is_inside`): a pass admitted once and never scanned out is inside in SQL; the
    others are put in the protocol's order first."""
    tier = select(TicketTier.name).where(TicketTier.id == Pass.tier_id).scalar_subquery()
    simple = await session.execute(
        select(_LIST, tier, func.count())
        .select_from(Scan)
        .join(Pass, and_(Pass.event_id == Scan.event_id, Pass.pass_key == Scan.pass_key))
        .where(
            _movement(event_id),
            Scan.admitted,
            Scan.pass_key.in_(_simple_passes(event_id, simple=True)),
        )
        .group_by(_LIST, tier)
    )
    counts: Counter[tuple[str, str]] = Counter(
        {(list_id, name): int(n) for list_id, name, n in simple.all()}
    )
    state = moved if moved is not None else await moved_state(session, event_id=event_id)
    pass_ids = sorted(_moved(state))
    if pass_ids:
        tiers = dict(
            (
                await session.execute(
                    select(Pass.pass_key, TicketTier.name)
                    .join(TicketTier, TicketTier.id == Pass.tier_id)
                    .where(
                        Pass.event_id == event_id,
                        Pass.pass_key.in_([parse_pass_key_text(p) for p in pass_ids]),
                    )
                )
            ).all()
        )
        for pass_id in pass_ids:
            name = tiers.get(parse_pass_key_text(pass_id) or b"", "")
            for list_id in _lists_of(state, pass_id):
                if sync.is_inside(state, pass_id, list_id=list_id):
                    counts[(list_id, name)] += 1
    return dict(counts)
