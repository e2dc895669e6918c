"""The PostgreSQL every test uses: the server named by DATABASE_URL, else a private embedded one.

The schema is built once per run by migrating a template database (never `create_all`), and each
test that needs isolation gets a fresh copy: `CREATE DATABASE … TEMPLATE` takes milliseconds.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from api.db.embedded import EmbeddedPostgres
from api.db.migrate import upgrade

TEMPLATE = "poctix_test_template"


class PostgresForTests:
    def __init__(self, workdir: Path) -> None:
        self._counter = itertools.count(1)
        self._embedded: EmbeddedPostgres | None = None
        external = os.environ.get("DATABASE_URL")
        if external:
            self.admin_url = external
        else:
            self._embedded = EmbeddedPostgres(workdir)
            self.admin_url = self._embedded.url("postgres")
        self.prefix = f"poctix_t{os.getpid()}_"

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    async def _admin(self, sql: str) -> None:
        url = make_url(self.admin_url)
        host = url.query.get("host") or url.host
        conn = await asyncpg.connect(
            user=url.username,
            password=url.password,
            host=str(host) if host else None,
            port=url.port,
            database=url.database,
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def create_template(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        await self._admin(f'CREATE DATABASE "{TEMPLATE}"')
        import asyncio

        await asyncio.to_thread(upgrade, self.url_for(TEMPLATE))

    async def new_database(self, *, migrated: bool = True) -> str:
        name = f"{self.prefix}{next(self._counter)}"
        template = f' TEMPLATE "{TEMPLATE}"' if migrated else ""
        await self._admin(f'CREATE DATABASE "{name}"{template}')
        return self.url_for(name)

    async def drop_database(self, url: str) -> None:
        name = make_url(url).database
        await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def close(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        if self._embedded is not None:
            self._embedded.stop()
