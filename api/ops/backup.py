"""`poctix backup FILE` and `poctix restore FILE`: one file that moves an installation.

The file is a plain tar holding, in this order:

    manifest.json    format, POCtix version, Alembic revision, PostgreSQL and pg_dump versions,
                     creation time, upload count, and the reminder that SECRET_KEY is not inside
    database.dump    pg_dump custom format (-Fc: compressed, restorable with pg_restore)
    uploads/NAME     every uploaded image of DATA_DIR/media (names are content hashes)

SECRET_KEY is left out on purpose: it encrypts every event's pass-signing key, so a backup that
held both would let anyone who finds it sign passes. Keep it (with the .env) apart.

Restore goes into an EMPTY database: one that has tables is refused unless `force`, and then
pg_restore `--clean` replaces what the backup holds. pg_restore runs as one transaction
(`--single-transaction --exit-on-error`), without owners or grants from the old host; then the
uploads are put back and migrations run, so an older backup is upgraded to this version's schema.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from api.db.engine import create_engine, sync_url_for_display
from api.media.images import media_dir
from api.ops.pgtools import ToolError, find_tool, run_tool

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
UPLOADS = "uploads/"
KEY_NOTE = (
    "SECRET_KEY is not in this backup. It encrypts every event's pass-signing key: restore "
    "with the same SECRET_KEY, or restored passes cannot be re-issued or signed again."
)
# Upload names are content hashes with an extension (api/media/images.py); nothing else, so a
# crafted archive cannot write outside the media folder.
_UPLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]+\.[a-z0-9]+$")


class BackupError(Exception):
    """A backup or restore could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class Database:
    server_major: int
    tables: list[str]
    revision: str | None


async def _inspect(database_url: str) -> Database:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            version = int(await conn.scalar(text("SHOW server_version_num")) or 0)
            tables = list(
                await conn.scalars(
                    text(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema ="
                        " current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
                    )
                )
            )
            revision = None
            if "alembic_version" in tables:
                revision = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    except (OSError, SQLAlchemyError) as exc:
        shown = sync_url_for_display(database_url)
        raise BackupError(f"Cannot read the database {shown} ({type(exc).__name__}).") from None
    finally:
        await engine.dispose()
    return Database(server_major=version // 10000, tables=tables, revision=revision)


def inspect_database(database_url: str) -> Database:
    return asyncio.run(_inspect(database_url))


@contextmanager
def file_or_stdin(name: str) -> Iterator[Path]:
    """`name`, or for `-` standard input spooled to a temporary file (a tar must be seekable):
    `docker compose run -T app poctix restore - < FILE` needs no volume for the file."""
    if name != "-":
        yield Path(name)
        return
    with tempfile.TemporaryDirectory(prefix="poctix-restore-") as work:
        spooled = Path(work) / "stdin.backup"
        with spooled.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        yield spooled


@contextmanager
def file_or_stdout(name: str) -> Iterator[Path]:
    """`name`, or for `-` a temporary file copied to standard output once written."""
    if name != "-":
        yield Path(name)
        return
    with tempfile.TemporaryDirectory(prefix="poctix-backup-") as work:
        written = Path(work) / "poctix.backup"
        yield written
        with written.open("rb") as source:
            shutil.copyfileobj(source, sys.stdout.buffer)
        sys.stdout.buffer.flush()


def _version() -> str:
    try:
        return metadata.version("poctix")
    except metadata.PackageNotFoundError:
        return "unknown"


def backup(*, database_url: str, data_dir: Path, target: Path) -> dict[str, Any]:
    """Write the backup file `target` (atomically: a failure leaves no partial file)."""
    db = inspect_database(database_url)
    if db.revision is None:
        raise BackupError(
            "This database has no POCtix schema (no alembic_version): nothing to back up."
        )
    uploads = sorted(
        p for p in media_dir(data_dir).glob("*") if p.is_file() and _UPLOAD_NAME.match(p.name)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".poctix-backup-") as work:
        dump = Path(work) / DUMP
        try:
            pg_dump, dump_major = find_tool("pg_dump", at_least=db.server_major)
            run_tool(
                [str(pg_dump), "--format=custom", f"--file={dump}"],
                database_url=database_url,
                what="pg_dump",
            )
        except ToolError as exc:
            raise BackupError(str(exc)) from None
        manifest = {
            "format": FORMAT,
            "poctix_version": _version(),
            "alembic_revision": db.revision,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "postgresql_server_major": db.server_major,
            "pg_dump_major": dump_major,
            "uploads": len(uploads),
            "note": KEY_NOTE,
        }
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, "w") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
            tar.add(dump, arcname=DUMP)
            for path in uploads:
                tar.add(path, arcname=UPLOADS + path.name)
        partial.chmod(0o600)  # every buyer's email is in it
        partial.replace(target)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise BackupError(f"This is not a POCtix backup: {name} is missing.") from None
    handle = tar.extractfile(member) if member.isfile() else None
    if handle is None:
        raise BackupError(f"This is not a POCtix backup: {name} is not a file.")
    return handle


def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        manifest = json.load(_member(tar, MANIFEST))
    except ValueError:
        raise BackupError("This is not a POCtix backup: manifest.json is not JSON.") from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if not isinstance(manifest, dict) or found != FORMAT:
        raise BackupError(f"This backup's format is {found!r}; this POCtix reads format {FORMAT}.")
    return manifest


def restore(
    *, source: Path, database_url: str, data_dir: Path, force: bool = False
) -> dict[str, Any]:
    """Restore `source` into the (empty) database and DATA_DIR, then migrate to this version."""
    from api.db.migrate import upgrade

    try:
        tar = tarfile.open(source, "r:")  # noqa: SIM115  (closed below, across several steps)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{source} cannot be read as a POCtix backup ({exc}).") from None
    with tar, tempfile.TemporaryDirectory(prefix="poctix-restore-") as work:
        manifest = read_manifest(tar)
        db = inspect_database(database_url)
        if db.tables and not force:
            kind = "POCtix tables" if "alembic_version" in db.tables else "tables"
            shown = ", ".join(db.tables[:5]) + (", …" if len(db.tables) > 5 else "")
            raise BackupError(
                f"The target database is not empty: it already has {kind} ({shown}). Restore "
                "into a new, empty database, or add --force to replace what the backup holds."
            )
        dump = Path(work) / DUMP
        with dump.open("wb") as out:
            shutil.copyfileobj(_member(tar, DUMP), out)
        wanted = max(db.server_major, int(manifest.get("pg_dump_major") or 0))
        args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if force and db.tables:
            args += ["--clean", "--if-exists"]
        try:
            pg_restore, _ = find_tool("pg_restore", at_least=wanted)
            run_tool(
                [str(pg_restore), *args, f"--dbname={_database_name(database_url)}", str(dump)],
                database_url=database_url,
                what="pg_restore",
            )
        except ToolError as exc:
            raise BackupError(str(exc)) from None
        restored = _restore_uploads(tar, media_dir(data_dir))
    upgrade(database_url)
    return {**manifest, "uploads_restored": restored}


def _database_name(database_url: str) -> str:
    # Only the name goes on the command line (pg_restore needs --dbname to restore into a
    # database rather than print SQL); host, user and password come from the environment.
    name = make_url(database_url).database
    if not name:
        raise BackupError("DATABASE_URL names no database to restore into.")
    return name


def _restore_uploads(tar: tarfile.TarFile, folder: Path) -> int:
    count = 0
    for member in tar.getmembers():
        if not member.name.startswith(UPLOADS):
            continue
        name = member.name[len(UPLOADS) :]
        if not member.isfile() or not _UPLOAD_NAME.match(name):
            raise BackupError(f"The backup holds an unexpected upload entry {member.name!r}.")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        partial = target.with_suffix(".part")
        partial.write_bytes(_member(tar, member.name).read())
        partial.replace(target)
        count += 1
    return count
