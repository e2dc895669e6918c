"""The database the CLI uses: embedded when DATABASE_URL is unset, else that server."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from api.db.database import database
from api.settings import Settings


async def _execute(url: str, sql: str) -> list[asyncpg.Record]:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username,
        host=str(parsed.query.get("host") or parsed.host),
        port=parsed.port,
        password=parsed.password,
        database=parsed.database,
    )
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_embedded_server_starts_in_the_data_folder_is_reused_and_stops_on_exit(
    tmp_path: Path,
) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "data", secret_key="k" * 40)
    with database(settings) as ready:
        assert ready.database_url
        assert str(tmp_path / "data" / "postgres") in ready.database_url
        await _execute(ready.database_url, "CREATE TABLE kept (note text)")
        await _execute(ready.database_url, "INSERT INTO kept VALUES ('still here')")
        first_url = ready.database_url
    with pytest.raises((OSError, asyncpg.PostgresError)):
        await _execute(first_url, "SELECT 1")
    with database(settings) as again:
        assert again.database_url
        rows = await _execute(again.database_url, "SELECT note FROM kept")
    assert [r["note"] for r in rows] == ["still here"]


async def test_database_url_is_used_as_given_and_nothing_is_started(
    tmp_path: Path, database_url: str
) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "data", database_url=database_url)
    with database(settings) as ready:
        assert ready == dataclasses.replace(settings)
        rows = await _execute(database_url, "SELECT count(*) AS n FROM event")
    assert rows[0]["n"] == 0
    assert not (tmp_path / "data").exists()
