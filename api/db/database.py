"""Which PostgreSQL to use: DATABASE_URL, or the embedded server in the data folder."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

from api.db.embedded import EmbeddedPostgres
from api.settings import Settings

EMBEDDED_DATABASE = "poctix"


@contextmanager
def database(settings: Settings) -> Iterator[Settings]:
    """Yield settings with a database URL; start (and stop after) the embedded server if needed."""
    if settings.database_url:
        yield settings
        return
    server = EmbeddedPostgres(settings.data_dir)
    url = server.ensure_database(EMBEDDED_DATABASE)
    try:
        yield dataclasses.replace(settings, database_url=url)
    finally:
        server.stop()
