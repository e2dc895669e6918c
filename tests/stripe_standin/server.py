"""Serve an ASGI app with uvicorn on a loopback port from a background thread.

The socket is bound (port 0, so the OS picks a free port) and listening before the thread starts,
so `url` is known at once and early connections wait in the backlog instead of failing. `start()`
returns once the app's lifespan startup has completed (seen by wrapping the ASGI app, no polling),
and gives the server's event loop to anyone who must schedule work on it. `stop()` asks uvicorn to
exit and joins the thread. Used for the Stripe stand-in and for tests' webhook receivers.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn

ASGIApp = Any


class ServerThread:
    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", name: str = "asgi") -> None:
        self._app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self._socket.listen(128)
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            self._asgi,
            loop="asyncio",
            interface="asgi3",
            lifespan="on",
            ws="none",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"{name}-server", daemon=True)
        self._ready = threading.Event()
        self._startup_error: str | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self._app(scope, receive, send)
            return

        async def watch(message: dict[str, Any]) -> None:
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                self.loop = asyncio.get_running_loop()
                self._ready.set()
            elif message["type"] == "lifespan.startup.failed":
                self._startup_error = message.get("message", "startup failed")
                self._ready.set()

        await self._app(scope, receive, watch)

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._ready.set()

    def start(self, timeout: float = 15) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(f"server on {self.url} did not start within {timeout}s")
        if self.loop is None:
            self.stop()
            raise RuntimeError(f"server on {self.url} failed to start: {self._startup_error}")

    def stop(self, timeout: float = 15) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()
