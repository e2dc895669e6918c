"""The durable jobs (api/outbox/worker.py) run in a test as the worker process runs them: on an
engine of their own, so they see what the test committed and nothing it did not."""

from __future__ import annotations

from typing import Any

from api.db.engine import create_engine, session_factory
from api.outbox.worker import run_due
from api.settings import Settings


async def run_jobs(settings: Settings, **options: Any) -> int:
    """`run_due` once (`options` are its own); how many jobs succeeded."""
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        return await run_due(session_factory(engine), settings, **options)
    finally:
        await engine.dispose()
