"""The event page's one-second cache: one query per expiry, however many buyers arrive."""

from __future__ import annotations

import asyncio

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.engine import create_engine, session_factory
from api.events.cache import EventCache
from api.settings import Settings
from tests import factories


def event_queries(statements: list[str]) -> list[str]:
    return [sql for sql in statements if "FROM event " in sql or "FROM event\n" in sql]


async def test_fifty_buyers_at_expiry_cause_one_load_and_all_see_the_event(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, name="Full Moon")
    await factories.tier(db, event=event)
    await db.commit()
    slug = event.slug
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)
    statements: list[str] = []
    sa_event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, sql, *_: statements.append(sql),
    )
    cache = EventCache(session_factory(engine), ttl=60)
    try:
        pages = await asyncio.gather(*(cache.get(slug=slug) for _ in range(50)))
        assert {page.name if page else None for page in pages} == {"Full Moon"}
        assert len(event_queries(statements)) == 1
        assert await cache.get(slug=slug) is pages[0]
        assert len(event_queries(statements)) == 1
    finally:
        await engine.dispose()


async def test_an_unknown_slug_is_none_and_each_slug_is_cached_apart(
    db: AsyncSession, settings: Settings
) -> None:
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)
    cache = EventCache(session_factory(engine), ttl=60)
    try:
        assert await cache.get(slug="no-such-event") is None
        event = await factories.event(db, name="Later")
        await db.commit()
        assert await cache.get(slug=event.slug) is not None
    finally:
        await engine.dispose()


async def test_an_expired_snapshot_is_served_while_one_refresh_runs(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, name="Before")
    await db.commit()
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)
    cache = EventCache(session_factory(engine), ttl=0)  # every snapshot is already expired
    try:
        first = await cache.get(slug=event.slug)
        assert first is not None
        assert first.name == "Before"
        event.name = "After"
        await db.commit()
        again = await asyncio.gather(*(cache.get(slug=event.slug) for _ in range(20)))
        assert {item.name if item else None for item in again} == {"Before"}
        refreshing = list(cache._loading.values())
        assert len(refreshing) == 1
        await refreshing[0]
        latest = await cache.get(slug=event.slug)
        assert latest is not None
        assert latest.name == "After"
    finally:
        await engine.dispose()
