"""Engine and session factory for PostgreSQL through asyncpg."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, make_url
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
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )
    event.listen(engine.sync_engine, "do_connect", _connect)
    return engine


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
