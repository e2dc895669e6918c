"""Fault: PostgreSQL restarted while buyers check out.

`poctix run` serves a free event from a PostgreSQL of its own; buyers keep checking out (each
with a fresh email and client address) while the database goes down (fast shutdown) and comes
back on the same socket. What a buyer and an operator see:

- during the gap every checkout gets a prompt 503 page saying the site is briefly unavailable,
  never a 500, a stack trace or a request that hangs;
- the app recovers by itself: /healthz is 200 again and checkouts succeed, same process;
- every buyer who got the 303 to their passes has exactly one paid order with its passes and
  one confirmation in the outbox; nobody who got a 503 has an order; the tier's counters add up;
- afterwards the connection pool is healthy: 50 checkouts in a row succeed and PostgreSQL shows
  no connection left idle in a transaction and no more than the pool allows.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from api.db import Order, OutboxMessage, Pass, TicketTier
from api.db.engine import create_engine, session_factory
from tests import factories
from tests.fault_support import PrivatePostgres, serving

pytestmark = pytest.mark.slow  # `make test-fast` leaves these out

QUANTITY = 2
BUYERS = 6
REQUEST_BOUND_S = 10.0
"""No request may take longer than this, database down or not."""


@dataclass
class Attempt:
    email: str
    status: int | None
    location: str
    body: str
    seconds: float
    phase: str


@dataclass
class Load:
    client: httpx.AsyncClient
    slug: str
    tier_id: uuid.UUID
    hidden: dict[str, str]
    phase: str = "before"
    attempts: list[Attempt] = field(default_factory=list)
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def buy(self) -> Attempt:
        n = next(self.numbers)
        email = f"buyer{n}@example.com"
        phase = self.phase
        started = time.monotonic()
        try:
            response = await self.client.post(
                f"/e/{self.slug}/checkout",
                data={**self.hidden, f"qty-{self.tier_id}": str(QUANTITY), "email": email},
                # Each buyer from their own address, through the trusted proxy in front.
                headers={"X-Forwarded-For": f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"},
            )
            status, location, body = (
                response.status_code,
                response.headers.get("location", ""),
                response.text,
            )
        except httpx.HTTPError as exc:
            status, location, body = None, "", repr(exc)
        attempt = Attempt(email, status, location, body, time.monotonic() - started, phase)
        self.attempts.append(attempt)
        return attempt

    def count(self, phase: str, *, ok: bool | None = None) -> int:
        return sum(
            1 for a in self.attempts if a.phase == phase and (ok is None or (a.status == 303) == ok)
        )


async def _until(check: object, *, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def private_postgres() -> AsyncIterator[PrivatePostgres]:
    pg = await asyncio.to_thread(PrivatePostgres)
    try:
        yield pg
    finally:
        await asyncio.to_thread(pg.close)


async def _free_event(url: str) -> tuple[str, uuid.UUID]:
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as db:
            event = await factories.event(db)
            tier = await factories.tier(db, event=event, price_minor=0, capacity=100_000)
            await db.commit()
            return event.slug, tier.id
    finally:
        await engine.dispose()


async def test_postgres_restart_under_load_fails_cleanly_and_loses_nothing(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    pg = private_postgres
    with serving(pg.url, tmp_path, TRUSTED_PROXIES="127.0.0.1/32", WORKER_IN_PROCESS="false") as (
        app,
        url,
    ):
        assert app.proc is not None
        pid = app.proc.pid
        slug, tier_id = await _free_event(pg.url)
        async with httpx.AsyncClient(base_url=url, timeout=REQUEST_BOUND_S) as client:
            page = await client.get(f"/e/{slug}")
            hidden = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
            )
            load = Load(client, slug, tier_id, hidden)
            running = True

            async def buyer() -> None:
                while running:
                    await load.buy()

            buyers = [asyncio.create_task(buyer()) for _ in range(BUYERS)]
            try:
                await _until(lambda: load.count("before", ok=True) >= 30, within=30,
                             what="30 checkouts before the restart")  # fmt: skip
                # A checkout is one short statement: one sent just before the fast shutdown
                # took effect may still be sold. "down" starts once the server has stopped.
                load.phase = "stopping"
                await asyncio.to_thread(pg.stop)
                load.phase = "down"
                await _until(lambda: load.count("down") >= 20, within=30,
                             what="20 checkouts while PostgreSQL is down")  # fmt: skip
                load.phase = "restarting"
                await asyncio.to_thread(pg.start)
                load.phase = "after"
                await _until(lambda: load.count("after", ok=True) >= 30, within=30,
                             what="checkouts succeed again after the restart")  # fmt: skip
            finally:
                running = False
                await asyncio.gather(*buyers)

            health = await client.get("/healthz")
            assert health.status_code == 200, health.text
            assert app.alive
            assert app.proc.pid == pid  # recovered by itself: the same process

            # The pool is healthy: 50 checkouts in a row, each succeeding.
            load.phase = "settled"
            for _ in range(50):
                attempt = await load.buy()
                assert attempt.status == 303, attempt.body[:500]
            await _pool_is_sane(pg.url)
            # The operator's log names the outage; it reports no unexpected error.
            log = app.output()
            assert "database unavailable on POST" in log
            assert "unhandled error" not in log

    attempts = load.attempts
    # Every request was answered, within the bound, by a 303 or a clean 503.
    outcomes = Counter((a.phase, a.status) for a in attempts)
    assert all(a.status in (303, 503) for a in attempts), outcomes
    assert max(a.seconds for a in attempts) < REQUEST_BOUND_S
    failed = [a for a in attempts if a.status == 503]
    down = [a for a in attempts if a.phase == "down"]
    assert down
    assert all(a.status == 503 for a in down)
    for attempt in failed:
        assert "Temporarily unavailable" in attempt.body
        assert "Traceback" not in attempt.body
        assert "asyncpg" not in attempt.body
        assert "sqlalchemy" not in attempt.body.lower()
    # Before the stop only the requests in flight at that moment can have failed.
    assert sum(1 for a in attempts if a.phase == "before" and a.status != 303) <= BUYERS

    # Nothing lost, nothing doubled, no half-order.
    sold = {a.email: a.location.rsplit("/", 1)[-1] for a in attempts if a.status == 303}
    engine = create_engine(pg.url, pool_size=1)
    try:
        async with session_factory(engine)() as db:
            orders = list(await db.scalars(select(Order)))
            by_email = {}
            for order in orders:
                assert order.buyer_email not in by_email, f"two orders for {order.buyer_email}"
                by_email[order.buyer_email] = order
            assert set(by_email) == set(sold), (
                f"orders without a 303: {sorted(set(by_email) - set(sold))[:5]}, "
                f"303s without an order: {sorted(set(sold) - set(by_email))[:5]}"
            )
            for email, public_id in sold.items():
                assert by_email[email].public_id == public_id
                assert by_email[email].status == "paid"
            passes = dict(
                (
                    await db.execute(select(Pass.order_id, func.count()).group_by(Pass.order_id))
                ).all()
            )
            assert {o.id: passes.get(o.id, 0) for o in orders} == {o.id: QUANTITY for o in orders}
            confirmations = Counter(
                payload["order_id"]
                for payload in await db.scalars(
                    select(OutboxMessage.payload).where(OutboxMessage.kind == "order_confirmation")
                )
            )
            assert confirmations == Counter(str(o.id) for o in orders)
            tier = await db.get_one(TicketTier, tier_id)
            assert (tier.sold, tier.held) == (QUANTITY * len(sold), 0)

            # The pool after the storm: within its size, nothing stuck in a transaction.
            rows = (
                await db.execute(
                    text(
                        "SELECT state, count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend' GROUP BY state"
                    )
                )
            ).all()
            states = {state: count for state, count in rows}
            assert "idle in transaction" not in states, states
            assert "idle in transaction (aborted)" not in states, states
            assert sum(states.values()) <= 20, states  # pool_size 10 + max_overflow 10
    finally:
        await engine.dispose()


async def _pool_is_sane(url: str) -> None:
    """What the app holds in PostgreSQL: within its pool size, nothing stuck in a transaction."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT state, count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend' GROUP BY state"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    states = {state: count for state, count in rows}
    assert "idle in transaction" not in states, states
    assert "idle in transaction (aborted)" not in states, states
    assert sum(states.values()) <= 20, states  # pool_size 10 + max_overflow 10
