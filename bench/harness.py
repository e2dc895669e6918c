"""Shared setup for benchmarks: a private PostgreSQL, a big event, a live server.

Benchmarks are scripts (`python -m bench.NAME`), not tests: they print figures for
bench/README.md and assert nothing about time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from api.checkin.services import create_pairing
from api.db import Event, Organizer, TicketTier, utcnow
from api.db.embedded import EmbeddedPostgres
from api.db.engine import create_engine, session_factory
from api.db.migrate import upgrade
from api.passes import keys, tokens

SECRET = "bench-secret-" + "k" * 40


@dataclass(frozen=True)
class BigEvent:
    event_id: str
    slug: str
    passes: int


@contextlib.contextmanager
def database() -> Iterator[str]:
    """A migrated, empty database: on DATABASE_URL's server, else an embedded one."""
    external = os.environ.get("DATABASE_URL")
    if external:
        _migrate(external)
        yield external
        return
    with tempfile.TemporaryDirectory(prefix="poctix-bench-") as folder:
        server = EmbeddedPostgres(Path(folder))
        try:
            url = server.ensure_database("bench")
            _migrate(url)
            yield url
        finally:
            server.stop()


def _migrate(url: str) -> None:
    """Alembic's env runs its own event loop: keep it off any loop the caller is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(upgrade, url).result()


async def _published_event(
    session: Any, prefix: str, name: str, starts_at: datetime, ends_at: datetime
) -> Event:
    """A bench organizer and a published event of its, flushed."""
    organizer = Organizer(
        name="Bench Hall", slug=f"bench-{secrets.token_hex(3)}", contact_email="b@x.io"
    )
    session.add(organizer)
    await session.flush()
    event = Event(
        organizer_id=organizer.id,
        slug=f"{prefix}-{secrets.token_hex(3)}",
        name=name,
        venue="Main hall",
        starts_at=starts_at,
        ends_at=ends_at,
        timezone="UTC",
        published=True,
    )
    session.add(event)
    await session.flush()
    return event


async def create_big_event(database_url: str, *, passes: int, tiers: int = 3) -> BigEvent:
    """An event with `passes` valid passes in one paid order, inserted in bulk by SQL."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            start = utcnow()
            event = await _published_event(
                session, "big", "Big Night", start, start.replace(year=start.year + 1)
            )
            for index in range(tiers):
                session.add(
                    TicketTier(
                        event_id=event.id,
                        name=f"Tier {index + 1}",
                        price_minor=0,
                        capacity=passes,
                        position=index,
                    )
                )
            await session.flush()
            key = await keys.active_key(session, event_id=event.id, secret_key=SECRET)
            params = {"event": event.id, "key": key.id, "n": passes}
            await session.execute(
                text(
                    """
                    INSERT INTO "order" (id, public_id, event_id, buyer_email, status, currency,
                                         total_minor, fee_minor, refunded_minor, created_at)
                    SELECT gen_random_uuid(), md5(random()::text || g), :event,
                           'buyer' || g || '@example.com', 'paid', 'USD', 0, 0, 0, now()
                    FROM generate_series(1, :n) g
                    """
                ),
                params,
            )
            await session.execute(
                text(
                    """
                    WITH orders AS (
                        SELECT id, row_number() OVER (ORDER BY id) AS g
                        FROM "order" WHERE event_id = :event
                    ), tiers AS (
                        SELECT id, row_number() OVER (ORDER BY position) - 1 AS i
                        FROM ticket_tier WHERE event_id = :event
                    )
                    INSERT INTO pass (id, pass_key, order_id, event_id, tier_id, key_id, status,
                                      change_seq, created_at)
                    SELECT gen_random_uuid(),
                           substring(decode(md5(random()::text || o.g), 'hex') from 1 for 11),
                           o.id, :event, t.id, :key, 'valid', o.g, now()
                    FROM orders o JOIN tiers t ON t.i = (o.g % (SELECT count(*) FROM tiers))
                    """
                ),
                params,
            )
            await session.execute(
                text(
                    """
                    INSERT INTO pass_change (event_id, seq, pass_id, status, reason, changed_at)
                    SELECT event_id, change_seq, id, 'valid', 'issued', now()
                    FROM pass WHERE event_id = :event
                    """
                ),
                params,
            )
            await session.execute(
                text("UPDATE event SET change_seq = :n WHERE id = :event"), params
            )
            await session.execute(
                text("UPDATE ticket_tier SET sold = capacity / 3 WHERE event_id = :event"), params
            )
            await session.commit()
            return BigEvent(event_id=str(event.id), slug=event.slug, passes=passes)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class SaleEvent:
    event_id: str
    slug: str
    tier_id: str


async def create_sale_event(
    database_url: str, *, capacity: int, price_minor: int = 0, max_per_order: int = 10
) -> SaleEvent:
    """A published event on sale now with one tier of `capacity` seats and nothing sold."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            start = utcnow() + timedelta(days=30)
            event = await _published_event(
                session, "sale", "On-sale Night", start, start + timedelta(hours=4)
            )
            tier = TicketTier(
                event_id=event.id,
                name="General admission",
                price_minor=price_minor,
                capacity=capacity,
                max_per_order=max_per_order,
            )
            session.add(tier)
            await session.commit()
            return SaleEvent(event_id=str(event.id), slug=event.slug, tier_id=str(tier.id))
    finally:
        await engine.dispose()


async def event_tokens(database_url: str, event_id: str, *, limit: int) -> list[str]:
    """Real tokens for `limit` passes of the event."""
    from api.db import EventKey, Pass

    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            rows = (
                await session.execute(
                    select(Pass.pass_key, EventKey)
                    .join(EventKey, EventKey.id == Pass.key_id)
                    .where(Pass.event_id == event_id)
                    .limit(limit)
                )
            ).all()
            private = {}
            result = []
            for pass_key, key in rows:
                if key.id not in private:
                    private[key.id] = keys.decrypt_private_key(
                        key.private_key_encrypted, secret_key=SECRET
                    )
                result.append(
                    tokens.issue(private_key=private[key.id], kid=key.kid, pass_key=pass_key)
                )
            return result
    finally:
        await engine.dispose()


async def pairing_code(
    database_url: str, event_id: str, door: str = "Bench door", *, uses: int = 1
) -> str:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            pairing = await create_pairing(session, event_id=event_id, door=door, uses=uses)  # type: ignore[arg-type]
            await session.commit()
            return pairing.code
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(database_url: str, *, workers: int = 1, **extra: str) -> Iterator[str]:
    """`poctix run` on a free port; yields its base URL. `extra`: more settings (upper-case
    environment names, e.g. TRUSTED_PROXIES="127.0.0.1/32")."""
    with server_process(database_url, workers=workers, **extra) as (url, _):
        yield url


@contextlib.contextmanager
def server_process(
    database_url: str, *, workers: int = 1, **extra: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`server`, also yielding the `poctix run` process (its workers are its children)."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET)
    env.setdefault("LOG_LEVEL", "WARNING")
    env.update(extra)
    env["BASE_URL"] = f"http://127.0.0.1:{port}"
    # BENCH_SERVER_LOG=path keeps the server's log (level from LOG_LEVEL, default WARNING).
    log_path = os.environ.get("BENCH_SERVER_LOG")
    with (
        tempfile.TemporaryDirectory() as data,
        open(log_path or os.devnull, "ab") as log,
    ):
        env["DATA_DIR"] = data
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "run",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.1)
            yield url, proc
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]
