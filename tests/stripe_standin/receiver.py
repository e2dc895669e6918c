"""A real webhook endpoint for tests of the stand-in itself: records every POST it gets.

It is a Litestar app on its own loopback port (not a mock transport), so deliveries cross real
HTTP exactly as they would to POCtix. It answers `status_code` (changeable, to play an app that
fails), keeps the raw body and headers for `stripe.Webhook.construct_event`, and can prove that
deliveries overlapped: with `rendezvous = n`, each request is held until n requests have arrived
(or answered 504 after `rendezvous_timeout`), so `max_in_flight` reaches n only when the sender
really sent them concurrently; a sender that waits for each answer would stall instead.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, Request, Response, post
from litestar.params import FromPath

from tests.stripe_standin.server import ServerThread


@dataclass(frozen=True)
class Received:
    path: str
    body: bytes
    headers: dict[str, str]
    at: float = field(default_factory=time.time)

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def signature(self) -> str | None:
        return self.headers.get("stripe-signature")

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self, status_code: int = 200) -> None:
        self.status_code = status_code
        self.rendezvous = 0
        self.rendezvous_timeout = 5.0
        self.max_in_flight = 0
        self._in_flight = 0
        self._arrived = 0
        self._gate: asyncio.Condition | None = None
        self._cond = threading.Condition()
        self._received: list[Received] = []

        @post("/{path:path}", status_code=200)
        async def receive(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[str]:
            return await self._receive(request, path)

        app = Litestar(route_handlers=[receive], logging_config=None, openapi_config=None)
        self._server = ServerThread(app, name="webhook-receiver")

    def url(self, path: str = "/webhooks/stripe") -> str:
        return self._server.url + path

    def __enter__(self) -> WebhookReceiver:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop()

    async def _receive(self, request: Request[Any, Any, Any], path: str) -> Response[str]:
        body = await request.body()
        with self._cond:
            self._received.append(Received(path, body, dict(request.headers)))
            self._cond.notify_all()
        if self._gate is None:
            self._gate = asyncio.Condition()
        async with self._gate:
            self._arrived += 1
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self._gate.notify_all()
            try:
                if self.rendezvous:
                    await asyncio.wait_for(
                        self._gate.wait_for(lambda: self._arrived >= self.rendezvous),
                        self.rendezvous_timeout,
                    )
            except TimeoutError:
                return Response("no rendezvous", status_code=504)
            finally:
                self._in_flight -= 1
        return Response("ok", status_code=self.status_code)

    @property
    def received(self) -> list[Received]:
        with self._cond:
            return list(self._received)

    def wait_for(self, count: int = 1, *, timeout: float = 10) -> list[Received]:
        """Wait until at least `count` requests have arrived; returns all of them."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._received) >= count, timeout):
                raise TimeoutError(f"wanted {count} webhook requests, got {len(self._received)}")
            return list(self._received)
