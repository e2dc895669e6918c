"""`poctix backup` / `poctix restore`: moving an installation to a new host, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
from collections.abc import AsyncIterator
from typing import IO, Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.checkin.services import create_pairing
from api.db import Pass
from api.db.engine import create_engine, session_factory
from api.media.images import media_dir, store_image
from api.ops.pgtools import ToolError, find_tool, libpq_env, run_tool
from api.passes import keys, tokens
from api.passes import services as pass_services
from api.settings import Settings
from tests import factories
from tests.pg import PostgresForTests

Client = AsyncTestClient[Litestar]
T0 = 1_900_000_000_000


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE", "SENTRY"))}
    assert settings.database_url
    env.update(
        ENVIRONMENT="test",
        DATABASE_URL=settings.database_url,
        DATA_DIR=str(settings.data_dir),
        SECRET_KEY=settings.secret_key,
    )
    return env


async def poctix(
    args: list[str],
    settings: Settings,
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The `poctix` command as an operator runs it, against `settings`' database and folder
    (with `stdin`/`stdout` files for `-`; stderr is still captured as text)."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "api.cli", *args],
        env=_env(settings),
        stdin=stdin,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding=None if stdout is not None else "utf-8",
        errors="replace",
        timeout=300,
    )  # fmt: skip


@pytest.fixture
async def new_host(postgres: PostgresForTests, settings: Settings) -> AsyncIterator[Settings]:
    """A second host: an EMPTY database on the same server, an empty data folder, and the
    same SECRET_KEY (kept apart from the backup, as the README says)."""
    url = await postgres.new_database(migrated=False)
    folder = settings.data_dir / "new-host"
    yield dataclasses.replace(settings, database_url=url, data_dir=folder)
    await postgres.drop_database(url)


async def pair(client: Client, code: str, name: str) -> tuple[str, dict[str, str]]:
    response = await client.post("/api/v1/scanner/pair", json={"code": code, "name": name})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["device_id"], {"authorization": f"Bearer {body['token']}"}


def scan(device: str, seq: int, pass_id: str, at: int) -> dict[str, Any]:
    own = {device: seq - 1} if seq > 1 else {}
    return {"device": device, "seq": seq, "pass_id": pass_id, "scanned_at": at,
            "verdict": "admit", "admitted": True, "door": "Main gate", "vector": own}  # fmt: skip


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 80, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_restored_host_keeps_verifying_passes_scans_and_uploads(
    db: AsyncSession, settings: Settings, client: Client, new_host: Settings
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=3)
    passes = await pass_services.issue_passes(
        db, order=order, tier_id=tier.id, count=3, secret_key=settings.secret_key
    )
    event.image_path = store_image(png(), data_dir=settings.data_dir)
    pairing = await create_pairing(db, event_id=event.id, door="Main gate", uses=2)
    await db.commit()
    token = await pass_services.pass_token(db, item=passes[0], secret_key=settings.secret_key)
    pass_id = tokens.pass_key_text(passes[0].pass_key)
    gate_a, auth_a = await pair(client, pairing.code, "Gate A")
    _, auth_b = await pair(client, pairing.code, "Gate B")
    pushed = await client.post(
        "/api/v1/scanner/push", json={"scans": [scan(gate_a, 1, pass_id, T0)]}, headers=auth_a
    )
    assert pushed.json()["acked"] == 1

    backup_file = settings.data_dir / "poctix.backup"
    made = await poctix(["backup", str(backup_file)], settings)
    assert made.returncode == 0, made.stderr
    assert "SECRET_KEY is not in this backup" in made.stdout
    assert settings.secret_key.encode() not in backup_file.read_bytes()
    restored = await poctix(["restore", str(backup_file)], new_host)
    assert restored.returncode == 0, restored.stderr
    assert "1 upload(s)" in restored.stdout

    image = media_dir(new_host.data_dir) / event.image_path
    assert image.read_bytes() == (media_dir(settings.data_dir) / event.image_path).read_bytes()
    assert new_host.database_url
    engine = create_engine(new_host.database_url, pool_size=1)
    try:
        async with session_factory(engine)() as there:
            public = await keys.event_public_keys(there, event_id=event.id)
            assert tokens.verify(token, keys=public).ok
            item = await there.scalar(select(Pass).where(Pass.id == passes[0].id))
            assert item is not None
            # The same SECRET_KEY opens the restored signing key: passes can be issued again.
            again = await pass_services.pass_token(there, item=item, secret_key=settings.secret_key)
            assert again == token
            with pytest.raises(keys.KeyDecryptionError):
                await pass_services.pass_token(there, item=item, secret_key="x" * 48)
    finally:
        await engine.dispose()

    async with AsyncTestClient(app=create_app(new_host)) as door:
        boot = await door.get("/api/v1/scanner/bootstrap", headers=auth_b)
        assert boot.status_code == 200, boot.text
        assert boot.json()["passes"]["count"] == 3
        pulled = await door.post(
            "/api/v1/scanner/pull", json={"vector": {"server": 0}}, headers=auth_b
        )
        # Gate B learns that Gate A admitted the pass before the move: already scanned.
        assert [(s["device"], s["pass_id"]) for s in pulled.json()["scans"]] == [(gate_a, pass_id)]
        more = await door.post(
            "/api/v1/scanner/push",
            json={"scans": [scan(gate_a, 2, pass_id, T0 + 1000)]},
            headers=auth_a,
        )
        assert more.json()["acked"] == 2


async def test_restoring_over_a_database_with_tables_is_refused_unless_forced_through_pipes(
    settings: Settings, postgres: PostgresForTests
) -> None:
    backup_file = settings.data_dir / "poctix.backup"
    with backup_file.open("wb") as out:
        made = await poctix(["backup", "-"], settings, stdout=out)
    assert made.returncode == 0, made.stderr
    with tarfile.open(backup_file) as tar:
        assert sorted(tar.getnames()) == ["database.dump", "manifest.json"]
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest["alembic_revision"]
    assert "SECRET_KEY" in manifest["note"]

    occupied = dataclasses.replace(settings, database_url=await postgres.new_database())
    try:
        refused = await poctix(["restore", str(backup_file)], occupied)
        assert refused.returncode == 1
        assert "The target database is not empty: it already has POCtix tables" in refused.stderr
        assert "--force" in refused.stderr
        with backup_file.open("rb") as given:
            forced = await poctix(["restore", "--force", "-"], occupied, stdin=given)
        assert forced.returncode == 0, forced.stderr
    finally:
        assert occupied.database_url
        await postgres.drop_database(occupied.database_url)


async def test_a_file_that_is_not_a_backup_is_refused_before_the_database_is_touched(
    settings: Settings, new_host: Settings
) -> None:
    junk = settings.data_dir / "notes.txt"
    junk.write_text("not a backup")
    result = await poctix(["restore", str(junk)], new_host)
    assert result.returncode == 1
    assert "cannot be read as a POCtix backup" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_database_password_reaches_pg_tools_only_through_their_environment() -> None:
    url = "postgresql://poctix:s3cret%2Fpw@db.internal:5433/poctix?sslmode=require"
    assert libpq_env(url) == {
        "PGHOST": "db.internal", "PGPORT": "5433", "PGUSER": "poctix",
        "PGPASSWORD": "s3cret/pw", "PGDATABASE": "poctix", "PGSSLMODE": "require",
    }  # fmt: skip
    embedded = libpq_env("postgresql://postgres@/poctix?host=/tmp/pg-socket")
    assert embedded == {"PGHOST": "/tmp/pg-socket", "PGUSER": "postgres", "PGDATABASE": "poctix"}
    pg_dump, _ = find_tool("pg_dump", at_least=0)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        with pytest.raises(ToolError) as failed:
            run_tool(
                [str(pg_dump), "--format=custom", "--file=/dev/null"],
                database_url=f"postgresql://poctix:s3cret@127.0.0.1:{port}/poctix",
                what="pg_dump",
            )
    assert "pg_dump failed" in str(failed.value)
    assert "s3cret" not in str(failed.value)
