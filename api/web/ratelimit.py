"""Per-IP rate limits on public POSTs, counted in PostgreSQL so every worker process shares them.

Fixed windows: one `rate_limit_hit` row per (bucket, client, window start), bumped by a single
`INSERT … ON CONFLICT DO UPDATE … RETURNING hits`, so concurrent requests never lose a count.
Each route names its own bucket: a burst of sign-in requests does not use up the application
form's allowance (Litestar's own limiter shares one counter per client across configs).

IPv6 clients are counted per /64: one home or phone usually holds a whole /64 and can rotate
through it at will. The client address is taken from the ASGI peer in `client_ip` only, so
trusted-proxy headers (`CF-Connecting-IP` from configured ranges) can be added in that one place.

Windows older than a day are swept now and then by the request that opens a new window; windows
must therefore be at most a day long.
"""

from __future__ import annotations

import ipaddress
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException
from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import RateLimitHit, utcnow

KEEP = timedelta(days=1)
SWEEP_CHANCE = 0.02
"""Share of new windows whose request also deletes expired rows (a few hundred at most)."""
SWEEP_BATCH = 500


class RateLimited(HTTPException):
    """Answered as 429 with `Retry-After` (the error page says when to try again)."""

    status_code = 429


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The address requests are counted under. For now the ASGI peer; proxy headers are not
    trusted until a trusted-proxy range setting exists."""
    return request.client.host if request.client else ""


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
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=UTC)


async def limit(
    db: AsyncSession,
    *,
    bucket: str,
    client: str,
    per_window: int,
    window_seconds: int,
    now: datetime | None = None,
    sweep_chance: float = SWEEP_CHANCE,
) -> int | None:
    """Count one request of `client` (an address) in `bucket`. None when it is allowed, else
    the seconds until the window ends (for `Retry-After`). Commits the count at once, so call it
    before anything else is pending on `db`; a refused request still counts."""
    if not 0 < window_seconds <= KEEP.total_seconds():
        raise ValueError("rate-limit windows are between one second and one day")
    now = now or utcnow()
    start = _window_start(now, window_seconds)
    statement = (
        insert(RateLimitHit)
        .values(bucket=bucket, client=client_key(client), window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=["bucket", "client", "window_start"],
            set_={"hits": RateLimitHit.hits + 1},
        )
        .returning(RateLimitHit.hits)
    )
    hits = (await db.execute(statement)).scalar_one()
    if hits == 1 and random.random() < sweep_chance:
        await sweep(db, now=now)
    await db.commit()
    if hits <= per_window:
        return None
    ends = start + timedelta(seconds=window_seconds)
    return max(1, math.ceil((ends - now).total_seconds()))


async def sweep(db: AsyncSession, *, now: datetime | None = None) -> None:
    """Delete a batch of windows older than a day (not committed here)."""
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


async def enforce(
    db: AsyncSession,
    request: Request[Any, Any, Any],
    *,
    bucket: str,
    per_window: int,
    window_seconds: int,
) -> None:
    """Count this request; raise `RateLimited` (429 with `Retry-After`) past the limit."""
    retry_after = await limit(
        db, bucket=bucket, client=client_ip(request), per_window=per_window,
        window_seconds=window_seconds,
    )  # fmt: skip
    if retry_after is not None:
        minutes = math.ceil(retry_after / 60)
        when = f"{minutes} minute{'s' if minutes != 1 else ''}"
        raise RateLimited(
            status_code=429,
            detail=f"Too many attempts from your network. Please try again in about {when}.",
            headers={"Retry-After": str(retry_after)},
        )
