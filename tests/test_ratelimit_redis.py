"""Rate-limit counters in Redis when REDIS_URL is set: shared by every worker process, and
PostgreSQL takes over for a request when Redis is down."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest
from litestar import Litestar

from api.app import create_app
from api.settings import Settings
from tests.forms import csrf_token
from tests.redis_server import redis_server


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def client_for(app: Litestar) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


async def ask(client: httpx.AsyncClient) -> int:
    form = await client.get("/login")
    response = await client.post(
        "/login", data={"_csrf_token": csrf_token(form.text), "email": "kai@example.com"}
    )
    return response.status_code


async def test_two_worker_processes_share_one_count_in_redis(
    settings: Settings, redis_url: str
) -> None:
    # Two apps stand for two worker processes: separate memory, one Redis, one database.
    configured = dataclasses.replace(settings, redis_url=redis_url)
    first, second = create_app(configured), create_app(configured)
    async with client_for(first) as one, client_for(second) as two:
        answers = [await ask(one if i % 2 else two) for i in range(20)]
        assert set(answers) == {303}
        assert await ask(one) == 429
        assert await ask(two) == 429
    for app in (first, second):  # no lifespan through ASGITransport: close what it would
        await app.state.redis.aclose()
    import redis.asyncio

    store = redis.asyncio.from_url(redis_url)
    keys = [key async for key in store.scan_iter("poctix:ratelimit:login:*")]
    assert len(keys) == 1
    assert int(await store.get(keys[0])) == 22
    assert 0 < await store.ttl(keys[0]) <= 660
    await store.aclose()


async def test_with_redis_down_the_limit_still_holds_through_postgresql(
    settings: Settings,
) -> None:
    with redis_server() as url:
        pass  # started and stopped: nothing listens there any more
    app = create_app(dataclasses.replace(settings, redis_url=url))
    async with client_for(app) as client:
        answers = [await ask(client) for _ in range(21)]
    await app.state.redis.aclose()
    assert answers[:20] == [303] * 20
    assert answers[20] == 429
