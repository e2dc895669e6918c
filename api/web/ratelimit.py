"""Per-IP rate limits on public POSTs, counted in PostgreSQL so every worker process shares them.

Fixed windows: one `rate_limit_hit` row per (bucket, client, window start), bumped by
`INSERT … ON CONFLICT DO UPDATE … RETURNING hits`, so concurrent requests never lose a count;
each process sends the counts of requests arriving together in one such statement (`Tally`).
Each route names its own bucket: a burst of sign-in requests does not use up the application
form's allowance (Litestar's own limiter shares one counter per client across configs).

IPv6 clients are counted per /64: one home or phone usually holds a whole /64 and can rotate
through it at will. The client address is the TCP peer, unless that peer is a proxy we know:
inside TRUSTED_PROXIES (our own Caddy, a load balancer) or CLOUDFLARE_PROXIES. Then the hops
are read right to left, the peer first and then `X-Forwarded-For` from its end, each written by
the proxy before it: a hop inside TRUSTED_PROXIES or CLOUDFLARE_PROXIES is skipped, and the
first hop outside both is the client. `CF-Connecting-IP` is believed only when the hop being read
is inside CLOUDFLARE_PROXIES: Cloudflare sets it itself, but any client can send it, and a
trusted proxy that is not Cloudflare passes on what the client sent (so it must strip it, as
deploy/Caddyfile does). Anyone else's forwarding headers are ignored, so a client cannot pick the
address it is counted under. Litestar itself ignores these headers.

Routes opt in with a guard: `guards=[rate_limit("login", per_window=20, window_seconds=600)]`.

Windows older than a day are swept now and then by the statement that opens a new window;
windows must therefore be at most a day long. Addresses are parsed once per process and
remembered (a few thousand, least recently used first out).

With REDIS_URL set, the counters live in Redis instead (`INCR` and `EXPIRE` in one MULTI, keys
expiring with their window). If Redis cannot be reached, the count falls back to PostgreSQL for
that request (logged), so a cache outage neither blocks sales nor lifts the limits.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import math
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard
from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from api.db import RateLimitHit, utcnow

log = logging.getLogger(__name__)

KEEP = timedelta(days=1)
SWEEP_CHANCE = 0.02
"""Share of new windows whose request also deletes expired rows (a few hundred at most)."""
SWEEP_BATCH = 500


_COUNT = text(
    "INSERT INTO rate_limit_hit (bucket, client, window_start, hits)"
    " SELECT bucket, client, window_start, count(*)"
    " FROM unnest(CAST(:buckets AS text[]), CAST(:clients AS text[]),"
    " CAST(:starts AS timestamptz[])) AS asked (bucket, client, window_start)"
    " GROUP BY bucket, client, window_start ORDER BY bucket, client, window_start"
    " ON CONFLICT (bucket, client, window_start)"
    " DO UPDATE SET hits = rate_limit_hit.hits + EXCLUDED.hits"
    " RETURNING bucket, client, window_start, hits"
)
"""A batch of requests counted (`RateLimitHit`): one row per window, in key order so two
processes' batches take the rows' locks in the same order and never deadlock."""

Window = tuple[str, str, datetime]
"""(bucket, client key, window start): one counter."""


class Tally:
    """This process's rate-limit counts on their way to PostgreSQL. A request's count is sent at
    once when no other is out; the counts of requests arriving meanwhile wait for that statement
    and then go together in the next one (natural batching, no timer). So a burst of 200
    checkouts in one process costs a few statements instead of 200, each on a connection of the
    engine's pool for a moment, autocommitted (bench/README.md, "Sold-out burst"), and the
    counts stay exact: each request is told the count it made, in the order they arrived."""

    def __init__(self, engine: AsyncEngine, *, sweep_chance: float = SWEEP_CHANCE) -> None:
        self._engine = engine
        self._sweep_chance = sweep_chance
        self._waiting: list[tuple[Window, asyncio.Future[int]]] = []
        self._sender: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def count(self, window: Window) -> int:
        """Count one request in `window`; its count there, this request included."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a test client's new loop: nothing of the old one is left
            self._loop, self._waiting, self._sender = loop, [], None
        future: asyncio.Future[int] = loop.create_future()
        self._waiting.append((window, future))
        if self._sender is None or self._sender.done():
            self._sender = loop.create_task(self._send())
        return await future

    async def seen(self, window: Window) -> int:
        """The count so far in `window`, without counting."""
        async with self._engine.connect() as connection:
            hits = await connection.scalar(
                select(RateLimitHit.hits).where(
                    RateLimitHit.bucket == window[0],
                    RateLimitHit.client == window[1],
                    RateLimitHit.window_start == window[2],
                )
            )
        return hits or 0

    async def _send(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                totals = await self._write([window for window, _ in batch])
            except Exception as exc:  # each request answers for it (a 503 when PostgreSQL is down)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            ahead = Counter(window for window, _ in batch)
            for window, future in batch:  # in arrival order: the first of a window counted first
                if not future.done():  # its request was cancelled meanwhile
                    future.set_result(totals[window] - ahead[window] + 1)
                ahead[window] -= 1

    async def _write(self, windows: list[Window]) -> dict[Window, int]:
        params = {
            "buckets": [window[0] for window in windows],
            "clients": [window[1] for window in windows],
            "starts": [window[2] for window in windows],
        }
        async with self._engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            rows = (await autocommit.execute(_COUNT, params)).all()
            totals = {(row.bucket, row.client, row.window_start): row.hits for row in rows}
            opened = Counter(windows)
            if any(totals[w] == n for w, n in opened.items()) and (
                random.random() < self._sweep_chance
            ):
                await sweep(autocommit)
        return totals


class RateLimited(HTTPException):
    """Answered as 429 with `Retry-After` (the error page says when to try again)."""

    status_code = 429


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=4096)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _trusted(text: str, proxies: tuple[Network, ...]) -> bool:
    ip = _ip(text)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in proxies)


def forwarded_client(
    peer: str,
    headers: Any,
    proxies: tuple[Network, ...],
    cloudflare: tuple[Network, ...] = (),
) -> str:
    """The client's address given the TCP `peer`, the request `headers` (a mapping with
    lower-case keys), the trusted proxy ranges and Cloudflare's ranges (see the module's
    docstring): right to left through the peer and `X-Forwarded-For`, past every known proxy."""
    chain = str(headers.get("x-forwarded-for") or "")
    hops = [peer, *reversed([hop.strip() for hop in chain.split(",") if hop.strip()])]
    for hop in hops:
        if _ip(hop) is None:
            return peer  # a garbled chain: count the proxy itself rather than guess
        if _trusted(hop, cloudflare):
            named = str(headers.get("cf-connecting-ip") or "").strip()
            if named and _ip(named) is not None:
                return named
        elif not _trusted(hop, proxies):
            return hop
    return hops[-1]  # every hop a known proxy: the farthest one named is all we know


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The address this request is counted under (see the module's docstring)."""
    peer = connection.client.host if connection.client else ""
    settings = connection.app.state.settings
    return forwarded_client(
        peer, connection.headers, settings.trusted_proxies, settings.cloudflare_proxies
    )


@functools.lru_cache(maxsize=4096)
def client_key(address: str) -> str:
    """IPv4 as is, IPv6 as its /64 network; anything else (a test client, a Unix socket)
    as its text, cut to the column's width."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed window `now` falls in (windows of one second to one day)."""
    if not 0 < window_seconds <= KEEP.total_seconds():
        raise ValueError("rate-limit windows are between one second and one day")
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=UTC)


def _verdict(
    hits: int, *, per_window: int, start: datetime, window_seconds: int, now: datetime
) -> int | None:
    """None when `hits` is within the allowance, else the seconds to the window's end."""
    if hits <= per_window:
        return None
    ends = start + timedelta(seconds=window_seconds)
    return max(1, math.ceil((ends - now).total_seconds()))


async def limit(
    tally: Tally,
    *,
    bucket: str,
    client: str,
    per_window: int,
    window_seconds: int,
    now: datetime | None = None,
    count: bool = True,
) -> int | None:
    """Count one request of `client` (an address) in `bucket`. None when it is allowed, else
    the seconds until the window ends (for `Retry-After`); a refused request still counts. The
    count is committed on a connection of its own (`Tally`), apart from the request's work. With
    `count=False`, only look: whether the allowance is used up already."""
    now = now or utcnow()
    start = _window_start(now, window_seconds)
    window = (bucket, client_key(client), start)
    hits = await tally.count(window) if count else await tally.seen(window) + 1
    return _verdict(
        hits, per_window=per_window, start=start, window_seconds=window_seconds, now=now
    )


async def sweep(db: AsyncSession | AsyncConnection, *, now: datetime | None = None) -> None:
    """Delete a batch of windows older than a day (committed by the caller, or at once on an
    autocommit connection)."""
    cutoff = (now or utcnow()) - KEEP
    old = (
        select(RateLimitHit.bucket, RateLimitHit.client, RateLimitHit.window_start)
        .where(RateLimitHit.window_start < cutoff)
        .limit(SWEEP_BATCH)
    )
    await db.execute(
        delete(RateLimitHit).where(
            tuple_(RateLimitHit.bucket, RateLimitHit.client, RateLimitHit.window_start).in_(old)
        )
    )


def refusal(retry_after: int) -> RateLimited:
    minutes = math.ceil(retry_after / 60)
    when = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return RateLimited(
        status_code=429,
        detail=f"Too many attempts from your network. Please try again in about {when}.",
        headers={"Retry-After": str(retry_after)},
    )


async def limit_in_redis(
    redis: Any,
    *,
    bucket: str,
    client: str,
    per_window: int,
    window_seconds: int,
    now: datetime | None = None,
    count: bool = True,
) -> int | None:
    """`limit`, counted in Redis: None when allowed, else the seconds to the window's end."""
    now = now or utcnow()
    start = _window_start(now, window_seconds)
    key = f"poctix:ratelimit:{bucket}:{client_key(client)}:{int(start.timestamp())}"
    if not count:
        seen = int(await redis.get(key) or 0)
        return _verdict(
            seen + 1, per_window=per_window, start=start, window_seconds=window_seconds, now=now
        )
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_seconds + 60)
        hits, _ = await pipe.execute()
    return _verdict(
        int(hits), per_window=per_window, start=start, window_seconds=window_seconds, now=now
    )


async def allowance(
    state: Any, *, bucket: str, client: str, per_window: int, window_seconds: int,
    count: bool = True,
) -> int | None:  # fmt: skip
    """Count one request with the app's counters (Redis when configured, else PostgreSQL
    through the process's `Tally`); with `count=False`, only look whether the allowance is used
    up."""
    redis = state.get("redis")
    if redis is not None:
        from redis.exceptions import RedisError

        try:
            return await limit_in_redis(
                redis, bucket=bucket, client=client, per_window=per_window,
                window_seconds=window_seconds, count=count,
            )  # fmt: skip
        except (RedisError, OSError) as exc:
            log.warning("rate-limit counters: Redis failed (%s); counting in PostgreSQL", exc)
    return await limit(
        state.tally, bucket=bucket, client=client, per_window=per_window,
        window_seconds=window_seconds, count=count,
    )  # fmt: skip


def rate_limit(bucket: str, *, per_window: int, window_seconds: int) -> Guard:
    """A route guard counting each request in its own `bucket`; 429 past `per_window`."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        retry_after = await allowance(
            connection.app.state, bucket=bucket, client=client_ip(connection),
            per_window=per_window, window_seconds=window_seconds,
        )  # fmt: skip
        if retry_after is not None:
            raise refusal(retry_after)

    return guard


# The public POSTs and their allowances per client address (a /64 for IPv6). Generous enough
# for a venue's shared Wi-Fi or a phone carrier's NAT on sale day; tight enough that one client
# cannot flood mail or hammer pairing codes.
LOGIN = rate_limit("login", per_window=20, window_seconds=600)
LOGIN_CONFIRM = rate_limit("login-confirm", per_window=30, window_seconds=600)
CHECKOUT = rate_limit("checkout", per_window=60, window_seconds=60)
PAIRING = rate_limit("pairing", per_window=30, window_seconds=600)
