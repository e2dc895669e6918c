"""Pull after N pass changes returns O(N) bytes, whatever the event's size.

A device bootstraps (its vector covers the snapshot), then N passes are voided (refunds), then
the device pulls by vector, paging until `more` is false. Bytes are the JSON bodies as sent,
uncompressed and gzip-compressed. The run fails if a pull's bytes per change drift by more
than a fifth from the 1,000-change pull's (a pull that grew with the event would).

    python -m bench.pull_size [--passes 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip

import httpx
from sqlalchemy import select

from api.db import Pass, PassStatus
from api.db.engine import create_engine, session_factory
from api.passes import services
from bench.harness import create_big_event, database, pairing_code, server


async def void_some(db_url: str, event_id: str, count: int, offset: int) -> None:
    engine = create_engine(db_url, pool_size=1)
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(Pass)
            .where(Pass.event_id == event_id)
            .order_by(Pass.change_seq)
            .offset(offset)
            .limit(count)
        )
        await services.set_status(
            session, passes=list(rows), status=PassStatus.void, reason="refunded"
        )
        await session.commit()
    await engine.dispose()


async def pull_bytes(client: httpx.AsyncClient, vector: dict[str, int]) -> tuple[int, int, int]:
    raw = zipped = changes = 0
    vector = dict(vector)
    while True:
        response = await client.post("/api/v1/scanner/pull", json={"vector": vector, "limit": 5000})
        response.raise_for_status()
        raw += len(response.content)
        zipped += len(gzip.compress(response.content))
        body = response.json()
        changes += len(body["changes"])
        if body["changes"]:
            vector["server"] = body["changes"][-1]["seq"]
        if not body["more"]:
            return raw, zipped, changes


async def main(passes: int) -> None:
    with database() as db_url:
        event = await create_big_event(db_url, passes=passes)
        code = await pairing_code(db_url, event.event_id)
        rows = []
        with server(db_url) as url:
            async with httpx.AsyncClient(base_url=url, timeout=120) as client:
                paired = await client.post("/api/v1/scanner/pair", json={"code": code})
                client.headers["authorization"] = f"Bearer {paired.json()['token']}"
                boot = await client.get("/api/v1/scanner/bootstrap")
                base = boot.json()["vector"]
                boot_zip = len(gzip.compress(boot.content))
                binary = await client.get("/api/v1/scanner/bootstrap/binary")
                done = 0
                for total in (0, 10, 1_000, 10_000):
                    await void_some(db_url, event.event_id, total - done, done)
                    done = total
                    rows.append((total, *await pull_bytes(client, base)))
    print(
        f"Bootstrap of {passes:,} passes: {len(boot.content):,} B JSON, {boot_zip:,} B gzip; "
        f"binary {len(binary.content):,} B\n"
    )
    print(
        "| changes since last sync | changes pulled | bytes (JSON) | bytes (gzip) | B per change |"
    )
    print("|---|---|---|---|---|")
    for total, raw, zipped, pulled in rows:
        per = f"{raw / total:.0f}" if total else "-"
        print(f"| {total:,} | {pulled:,} | {raw:,} | {zipped:,} | {per} |")
    reference = next(raw / total for total, raw, _, _ in rows if total == 1_000)
    for total, raw, _, pulled in rows:
        if pulled != total:
            raise SystemExit(f"{total:,} changes made, {pulled:,} pulled")
        if total >= 1_000 and abs(raw / total - reference) > reference / 5:
            raise SystemExit(f"{raw / total:.0f} B per change after {total:,}: not O(changes)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().passes))
