"""The per-IP limiter: counts in PostgreSQL per bucket, IPv6 per /64, Retry-After to the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import RateLimitHit
from api.db.engine import create_engine
from api.settings import Settings
from api.web.ratelimit import Tally, client_key, limit, sweep

NOON = datetime(2030, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
async def tally(settings: Settings) -> AsyncIterator[Tally]:
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)
    yield Tally(engine, sweep_chance=0)
    await engine.dispose()


async def hit(tally: Tally, bucket: str, client: str, at: datetime = NOON) -> int | None:
    return await limit(
        tally, bucket=bucket, client=client, per_window=3, window_seconds=3600, now=at
    )


async def test_the_fourth_request_in_an_hour_is_refused_until_the_hour_ends(
    tally: Tally,
) -> None:
    at = NOON + timedelta(minutes=20, seconds=30)
    assert [await hit(tally, "apply", "203.0.113.9", at) for _ in range(3)] == [None] * 3
    assert await hit(tally, "apply", "203.0.113.9", at) == 39 * 60 + 30
    assert await hit(tally, "apply", "203.0.113.9", NOON + timedelta(hours=1)) is None


async def test_separate_buckets_and_addresses_keep_separate_counts(tally: Tally) -> None:
    for _ in range(3):
        assert await hit(tally, "login", "203.0.113.9") is None
    assert await hit(tally, "login", "203.0.113.9") is not None
    assert await hit(tally, "apply", "203.0.113.9") is None
    assert await hit(tally, "login", "203.0.113.10") is None


async def test_ipv6_addresses_in_one_slash_64_share_a_count(tally: Tally) -> None:
    for address in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"):
        assert await hit(tally, "apply", address) is None
    assert await hit(tally, "apply", "2001:db8:1:2:abcd::9") is not None
    assert await hit(tally, "apply", "2001:db8:1:3::1") is None
    assert client_key("2001:db8:1:2:abcd::9") == "2001:db8:1:2::/64"
    assert client_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_key("testclient") == "testclient"


async def test_requests_counted_together_each_get_a_count_of_their_own(
    tally: Tally, db: AsyncSession
) -> None:
    """Counts arriving while one statement is out go together in the next: 60 requests at once
    from one address and 10 from another, each told a different count, none lost, across two
    processes' tallies (two engines) as within one."""
    other = Tally(create_engine(str(tally._engine.url), pool_size=1), sweep_chance=0)
    window = ("checkout", "203.0.113.50", NOON)
    asked = [tally.count(window) for _ in range(30)] + [other.count(window) for _ in range(30)]
    asked += [tally.count(("checkout", "203.0.113.51", NOON)) for _ in range(10)]
    counts = await asyncio.gather(*asked)
    await other._engine.dispose()
    assert sorted(counts[:60]) == list(range(1, 61))
    assert counts[60:] == list(range(1, 11))
    stored = await db.scalars(select(RateLimitHit.hits).order_by(RateLimitHit.client))
    assert stored.all() == [60, 10]


async def test_windows_older_than_a_day_are_swept(tally: Tally, db: AsyncSession) -> None:
    await hit(tally, "apply", "203.0.113.9", NOON - timedelta(days=2))
    await hit(tally, "apply", "203.0.113.9", NOON)
    await sweep(db, now=NOON)
    await db.commit()
    starts = (await db.scalars(select(RateLimitHit.window_start))).all()
    assert starts == [NOON]
    assert await db.scalar(select(func.sum(RateLimitHit.hits))) == 1


async def test_the_counters_are_unlogged_and_still_count(tally: Tally, db: AsyncSession) -> None:
    """UNLOGGED: a count writes no WAL, so its commit does not queue for the disk in front of
    the sales' (a crash only empties the current windows)."""
    persistence = await db.scalar(
        text("SELECT CAST(relpersistence AS text) FROM pg_class WHERE relname = 'rate_limit_hit'")
    )
    assert persistence == "u"
    assert [await hit(tally, "apply", "203.0.113.77") for _ in range(4)][-1] is not None
