"""The one LISTEN client: NOTIFYs reach its subscribers, a lost connection is said and mended."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.listen import Listener
from api.settings import Settings


async def _notify(db: AsyncSession, channel: str, payload: str) -> None:
    await db.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
    )
    await db.commit()


async def test_a_committed_notify_reaches_every_subscriber_but_not_one_that_left(
    db: AsyncSession, settings: Settings
) -> None:
    assert settings.database_url
    channel = f"t_{uuid.uuid4().hex}"
    listener = Listener(settings.database_url, channel)
    first: asyncio.Queue[str | None] = asyncio.Queue()
    second: asyncio.Queue[str | None] = asyncio.Queue()
    gone: asyncio.Queue[str | None] = asyncio.Queue()
    listener.subscribe(first.put_nowait)
    listener.subscribe(second.put_nowait)
    listener.subscribe(gone.put_nowait)()  # subscribed, then unsubscribed at once
    try:
        assert await listener.ensure()
        await _notify(db, channel, "hello")
        assert await asyncio.wait_for(first.get(), 10) == "hello"
        assert await asyncio.wait_for(second.get(), 10) == "hello"
        assert gone.empty()
    finally:
        await listener.close()
    assert not listener.listening


async def test_a_killed_connection_tells_subscribers_and_the_next_ensure_listens_again(
    db: AsyncSession, settings: Settings
) -> None:
    assert settings.database_url
    channel = f"t_{uuid.uuid4().hex}"
    listener = Listener(settings.database_url, channel)
    heard: asyncio.Queue[str | None] = asyncio.Queue()
    listener.subscribe(heard.put_nowait)
    try:
        assert await listener.ensure()
        await db.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = :q"),
            {"q": f'LISTEN "{channel}"'},
        )
        await db.commit()
        assert await asyncio.wait_for(heard.get(), 10) is None  # "you may have missed one"
        assert not listener.listening
        assert await listener.ensure()
        await _notify(db, channel, "again")
        assert await asyncio.wait_for(heard.get(), 10) == "again"
    finally:
        await listener.close()
