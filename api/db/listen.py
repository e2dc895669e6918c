"""One PostgreSQL LISTEN connection on one channel, shared by whoever subscribes to it.

The outbox worker (`api.outbox.worker.Wakeup`) and the live door (`api.admin.live.DoorPokes`)
both wait for NOTIFYs. LISTEN needs a connection of its own, outside SQLAlchemy's pool (a pooled
connection is handed to others between uses), so this holds one raw asyncpg connection.

A lost connection is not reopened by itself: subscribers are told (payload `None`, "you may
have missed something") and fall back to polling or pulling; the next `ensure()` reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)

Subscriber = Callable[[str | None], None]
"""Called with a NOTIFY's payload, or with None when the connection was lost."""


class Listener:
    """LISTEN on `channel` of the database at `database_url`, fanning NOTIFYs out to subscribers."""

    def __init__(self, database_url: str | URL, channel: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self.channel = channel
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._subscribers: list[Subscriber] = []
        self._warned = False

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` for every NOTIFY (and on loss); returns the unsubscribe call."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    async def ensure(self) -> bool:
        """Listen if not already; True if listening. A failure is logged once per outage."""
        async with self._lock:  # several subscribers may ask at once: one connection
            if self.listening:
                return True
            try:
                conn = await asyncpg.connect(self._dsn, timeout=5)
                await conn.add_listener(self.channel, self._notified)
            except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
                if not self._warned:
                    log.warning("cannot LISTEN on %r (%s)", self.channel, type(exc).__name__)
                    self._warned = True
                return False
            conn.add_termination_listener(self._lost)
            self._conn, self._warned = conn, False
            return True

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        for subscriber in list(self._subscribers):
            subscriber(payload)

    def _lost(self, *_: object) -> None:
        log.warning("lost the LISTEN connection on %r; polling until it is back", self.channel)
        self._conn = None
        for subscriber in list(self._subscribers):
            subscriber(None)

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.remove_termination_listener(self._lost)
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
