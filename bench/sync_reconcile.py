"""Server reconciliation at stadium scale: 50 door phones push 2,000 scans each, all at once, with
exits, re-entries and two door lists, and the conflicts list must be exactly what the Python
reference (`sync.conflicts`) finds in the same scans.

    python -m bench.sync_reconcile [--devices 50] [--scans 2000] [--passes 200000] [--seed 7]
                                   [--workers 1]

Each pass's movements are a story told by one or more phones, all offline (each phone's vector
covers only its own earlier scans):

- once: admitted at one door;
- out / back: admitted, scanned out, (back: and in again) at the same door;
- cross_back: admitted at A, out at B, in again at C: a re-entry, no double admission;
- double: admitted at A and at B, neither knowing: a conflict;
- double_after_exit: in and out at A, then admitted at B and at C: one conflict (the stay after
  the exit), the first admission is not part of it;
- two_lists: admitted on the main floor and on the VIP deck: one admission per list, no conflict.

A tenth of the phones are bound to a "VIP deck" list (their scans carry `list`); exits carry
`direction: "out"`. Each phone pushes its scans in batches of 1,000 (the API's limit), every
phone at once; the request bodies are encoded before the clock starts. Measured: first push ->
conflicts list answered (GET /api/v1/scanner/conflicts), and the CPU time the server's processes
and PostgreSQL's spent in it (on a shared machine the wall time also counts the time other work
kept them waiting for a core). Checked: the server's conflicts equal
the reference's, entry for entry (pass, kind, first and other admission), and the reference
counts exactly the conflicts the stories inject.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select

import sync
from api.checkin import door_lists
from api.checkin.services import create_pairing
from api.db import Event, Pass, TicketTier
from api.db.engine import create_engine, session_factory
from api.passes.tokens import pass_key_text
from bench.harness import create_big_event, database, server_process

BATCH = 1000
T0 = 1_900_000_000_000
HOURS = 3 * 3600 * 1000

# Story kind -> (share of stories, doors per move: the same letter is the same phone, "V" a VIP
# deck phone, directions), and the conflicts each story adds.
STORIES: dict[str, tuple[float, str, str, int]] = {
    "double": (0.05, "AB", "ii", 1),
    "double_after_exit": (0.01, "AABC", "ioii", 1),
    "out": (0.06, "AA", "io", 0),
    "back": (0.04, "AAA", "ioi", 0),
    "cross_back": (0.02, "ABC", "ioi", 0),
    "two_lists": (0.02, "AV", "ii", 0),
}


@dataclass
class Phone:
    device: str
    token: str
    door: str
    list_id: str
    capacity: int
    moves: list[tuple[int, str, str]] = field(default_factory=list)  # (at, pass_id, direction)


def plan(phones: list[Phone], pass_ids: list[str], rng: random.Random) -> tuple[int, int]:
    """Fill every phone with stories; returns (stories, conflicts injected)."""
    main = [p for p in phones if p.list_id == sync.DEFAULT_LIST]
    vip = [p for p in phones if p.list_id != sync.DEFAULT_LIST]
    unused = iter(rng.sample(pass_ids, len(pass_ids)))
    kinds = list(STORIES)
    weights = [STORIES[k][0] for k in kinds]
    stories = injected = 0
    misses = 0
    while misses < 200:
        kind = rng.choices([*kinds, "once"], weights=[*weights, 1 - sum(weights)])[0]
        doors, directions, conflicts = STORIES.get(kind, (0, "A", "i", 0))[1:]
        cast: dict[str, Phone] = {}
        pool = main if rng.random() < len(main) / len(phones) else vip
        for letter in dict.fromkeys(doors):
            need = doors.count(letter)
            group = vip if letter == "V" else (main if kind == "two_lists" else pool)
            free = [p for p in group if p.capacity >= need and p not in cast.values()]
            if not free:
                break
            cast[letter] = rng.choice(free)
        else:
            misses = 0
            pass_id = next(unused)
            at = T0 + rng.randrange(HOURS)
            for letter, direction in zip(doors, directions, strict=True):
                phone = cast[letter]
                phone.moves.append((at, pass_id, sync.OUT if direction == "o" else sync.IN))
                phone.capacity -= 1
                at += rng.randrange(1_000, 20 * 60_000)
            stories += 1
            injected += conflicts
            continue
        misses += 1
    return stories, injected


def scans_of(phone: Phone) -> list[dict[str, Any]]:
    """The phone's scans in seq order, as its door would have recorded them offline."""
    scans = []
    for seq, (at, pass_id, direction) in enumerate(sorted(phone.moves), start=1):
        scan: dict[str, Any] = {
            "device": phone.device,
            "seq": seq,
            "pass_id": pass_id,
            "scanned_at": at,
            "verdict": "exit" if direction == sync.OUT else "admit",
            "admitted": direction != sync.OUT,
            "door": phone.door,
            "vector": {phone.device: seq - 1} if seq > 1 else {},
        }
        if phone.list_id != sync.DEFAULT_LIST:
            scan["list"] = phone.list_id
        if direction == sync.OUT:
            scan["direction"] = sync.OUT
        scans.append(scan)
    return scans


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of a process and its descendants so far; 0 when unknown.
    Wall time on a shared machine says how long other work kept these off the cores too."""
    if pid is None:
        return 0.0
    ticks = 0
    children: list[str] = []
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            fields = Path(f"{task}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
            children += Path(f"{task}/children").read_text().split()
        except OSError:
            continue  # the task ended meanwhile
    return ticks / os.sysconf("SC_CLK_TCK") + sum(cpu_seconds(int(c)) for c in children)


def postmaster(db_url: str) -> int | None:
    """The embedded PostgreSQL's postmaster (its socket folder is its data folder), if any."""
    host = parse_qs(urlsplit(db_url).query).get("host", [""])[0]
    try:
        return int(Path(host, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def key(conflict: Any) -> tuple[Any, ...]:
    first, other = conflict["first"], conflict["other"]
    return (conflict["pass_id"], conflict["kind"], first["device"], first["seq"],
            other["device"], other["seq"])  # fmt: skip


async def setup(db_url: str, event_id: str, devices: int) -> tuple[str, str, str, list[str]]:
    """A VIP deck list (the first tier, with re-entry), a pairing link for the main floor and
    one for the deck, and every pass id of the event."""
    engine = create_engine(db_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            event = await session.get_one(Event, event_id)
            tier = await session.scalar(
                select(TicketTier.id).where(TicketTier.event_id == event.id).limit(1)
            )
            assert tier is not None
            deck = await door_lists.save_list(
                session,
                event=event,
                fields=door_lists.ListFields("VIP deck", [tier], reentry=True),
                actor="bench",
            )
            main = await create_pairing(session, event_id=event.id, door="Gate", uses=devices)
            vip = await create_pairing(
                session, event_id=event.id, door="Deck", uses=devices, door_list_id=deck.id
            )
            keys = (
                await session.scalars(select(Pass.pass_key).where(Pass.event_id == event.id))
            ).all()
            await session.commit()
            return main.code, vip.code, str(deck.id), [pass_key_text(k) for k in keys]
    finally:
        await engine.dispose()


async def push_all(url: str, phone: Phone, bodies: list[bytes], latencies: list[float]) -> None:
    headers = {"authorization": f"Bearer {phone.token}", "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        for body in bodies:
            began = time.perf_counter()
            response = await client.post("/api/v1/scanner/push", content=body)
            response.raise_for_status()
            latencies.append(time.perf_counter() - began)


async def main(devices: int, scans: int, passes: int, seed: int, workers: int) -> None:
    rng = random.Random(seed)
    with database() as db_url:
        event = await create_big_event(db_url, passes=passes)
        main_code, vip_code, deck_id, pass_ids = await setup(db_url, event.event_id, devices)
        # Each phone pairs from its own address (the pairing rate limit is per address).
        with server_process(db_url, workers=workers, TRUSTED_PROXIES="127.0.0.1/32") as (
            url,
            process,
        ):
            phones: list[Phone] = []
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                for i in range(devices):
                    on_deck = i % 10 == 9
                    name = f"Deck {i // 10 + 1}" if on_deck else f"Gate {i + 1}"
                    code = vip_code if on_deck else main_code
                    response = await client.post(
                        "/api/v1/scanner/pair",
                        json={"code": code, "name": name},
                        headers={"X-Forwarded-For": f"10.0.{i // 250}.{i % 250 + 1}"},
                    )
                    response.raise_for_status()
                    body = response.json()
                    list_id = deck_id if on_deck else sync.DEFAULT_LIST
                    phones.append(Phone(body["device_id"], body["token"], name, list_id, scans))
            stories, injected = plan(phones, pass_ids, rng)
            per_phone = [scans_of(p) for p in phones]
            reference = sync.new_state()
            sync.merge(reference, [s for phone_scans in per_phone for s in phone_scans])
            expected = sync.conflicts(reference)
            bodies = [
                [
                    json.dumps(
                        {"scans": s[i : i + BATCH], "pending": max(0, len(s) - i - BATCH)}
                    ).encode()
                    for i in range(0, len(s), BATCH)
                ]
                for s in per_phone
            ]
            latencies: list[float] = []
            database_pid = postmaster(db_url)
            cpu_before = cpu_seconds(process.pid), cpu_seconds(database_pid)
            began = time.perf_counter()
            await asyncio.gather(
                *(push_all(url, p, b, latencies) for p, b in zip(phones, bodies, strict=True))
            )
            pushed = time.perf_counter() - began
            async with httpx.AsyncClient(base_url=url, timeout=120) as client:
                response = await client.get(
                    "/api/v1/scanner/conflicts",
                    headers={"authorization": f"Bearer {phones[0].token}"},
                )
                response.raise_for_status()
            total = time.perf_counter() - began
            server_cpu = cpu_seconds(process.pid) - cpu_before[0]
            database_cpu = cpu_seconds(database_pid) - cpu_before[1]
            found = response.json()["conflicts"]
    all_scans = sum(len(s) for s in per_phone)
    exits = sum(1 for s in per_phone for scan in s if scan.get("direction") == sync.OUT)
    kinds = {k: sum(1 for c in found if c["kind"] == k) for k in ("conflict", "override")}
    reference_conflicts = sum(1 for c in expected if c["kind"] == "conflict")
    print(
        f"{devices} phones ({sum(p.list_id != sync.DEFAULT_LIST for p in phones)} on the VIP "
        f"deck list), {all_scans:,} scans ({exits:,} exits), {stories:,} stories, "
        f"{passes:,}-pass event, {workers} worker(s)\n"
    )
    print(
        "| phones x scans | exits | conflicts injected | reference (sync.conflicts) | server "
        "| server = reference | push all | push+reconcile | push p50 / max per 1000-scan batch "
        "| CPU: server / PostgreSQL |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    same = sorted(map(key, found)) == sorted(map(key, expected))
    print(
        f"| {devices} x {scans:,} | {exits:,} | {injected:,} | {reference_conflicts:,} "
        f"| {kinds['conflict']:,} (+{kinds['override']} overrides) | {'yes' if same else 'NO'} "
        f"| {pushed:.2f} s | {total:.2f} s | {statistics.median(latencies) * 1000:.0f} / "
        f"{max(latencies) * 1000:.0f} ms | {server_cpu:.1f} s / {database_cpu:.1f} s |"
    )
    if not same or reference_conflicts != injected:
        raise SystemExit(
            f"server {len(found)} entries, reference {len(expected)} "
            f"({reference_conflicts} conflicts), injected {injected}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    asyncio.run(main(args.devices, args.scans, args.passes, args.seed, args.workers))
