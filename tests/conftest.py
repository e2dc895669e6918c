"""Shared fixtures: a real PostgreSQL, migrated databases, settings and a test client."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db.engine import create_engine, session_factory
from api.settings import Settings
from tests.pg import PostgresForTests
from tests.shop import shop  # noqa: F401  (fixture: a live app wired to the Stripe stand-in)


@pytest.fixture(scope="session")
async def postgres() -> AsyncIterator[PostgresForTests]:
    # Not under pytest's basetemp: each pytest run resets that tree's permissions to 0700, which
    # locks out the embedded server's own system user of a second run going on at the same time.
    with tempfile.TemporaryDirectory(prefix="poctix-test-pg-") as workdir:
        pg = PostgresForTests(Path(workdir))
        await pg.create_template()
        yield pg
        await pg.close()


@pytest.fixture
async def database_url(postgres: PostgresForTests) -> AsyncIterator[str]:
    url = await postgres.new_database()
    yield url
    await postgres.drop_database(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=secrets.token_urlsafe(48),
        data_dir=tmp_path,
        base_url="http://testserver.local",
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)
    async with session_factory(engine)() as session:
        yield session
    await engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
