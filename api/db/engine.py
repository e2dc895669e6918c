"""Engine and session factory for PostgreSQL through asyncpg."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_url(url: str) -> str:
    """`postgresql://…` (as people and Docker write it) → the asyncpg driver URL."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def sync_url_for_display(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


UNREACHABLE = "08001"
"""SQLSTATE sqlclient_unable_to_establish_sqlconnection: what a failed connect is reported as."""


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """`pool_use_lifo`: the connection returned last is handed out first, so a burst runs on
    the connections that are already warm (asyncpg's prepared statements, and PostgreSQL's
    cached generic plans, which it only makes after a statement's fifth run on a connection),
    and the rest of the pool idles. Handed out in turn, every connection planned the sale's
    statement afresh on its first five sales (the first sold-out burst on a new server: p95
    1.03 s; 0.76 s after: bench/README.md)."""
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        pool_use_lifo=True,
    )
    event.listen(engine.sync_engine, "do_connect", _connect)
    event.listen(engine.sync_engine.pool, "checkout", _closed_by_server)
    return engine


def _closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """The pool's liveness check, with no round trip: a pooled connection whose socket the
    server closed (a restart, a failover, an idle timeout) is known closed to asyncpg as soon as
    the event loop reads the end of its stream, and raising DisconnectionError here makes the
    pool discard it and hand out a fresh one. SQLAlchemy's `pool_pre_ping` instead spent three
    round trips (BEGIN, `;`, ROLLBACK) on every checkout of a pooled connection: six of a
    checkout POST's ten (bench/README.md, "Sold-out burst"). A connection that dies without
    its socket closing is caught on use: SQLAlchemy then invalidates it and every older one,
    and the request is answered 503 (api/web/errors.py)."""
    raw = getattr(dbapi_connection, "_connection", None)
    if raw is not None and raw.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Connect as usual, but report a server that cannot be reached (socket gone, connection
    refused, connect timeout: asyncpg raises a bare OSError) as the DBAPI `OperationalError`
    with SQLSTATE 08001, as psycopg does, so SQLAlchemy wraps it like every other database
    error and the web layer can answer 503 instead of an unexpected 500."""
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:
        error: Any = dialect.loaded_dbapi.OperationalError(f"cannot reach PostgreSQL: {exc}", exc)
        error.pgcode = error.sqlstate = UNREACHABLE
        raise error from exc


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
