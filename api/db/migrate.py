"""Run Alembic migrations from code (the CLI, the tests) with the project's migrations folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config


def _project_root() -> Path:
    """The folder holding `migrations/`: the source checkout, or the working directory of an
    installed copy (the Docker image runs from /app)."""
    for candidate in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (candidate / "migrations" / "env.py").exists():
            return candidate
    raise FileNotFoundError("migrations/ not found next to the api package or in the working dir")


def alembic_config(database_url: str) -> Config:
    root = _project_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)
