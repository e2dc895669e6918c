"""A real SMTP server on a loopback port (aiosmtpd), collecting the messages it accepts.

The port is reserved when the sink is made. While the sink is down it is bound but not
listening, so connections are refused at once (a server that is off); `start()` begins
listening on that same port, `stop()` goes down again. With `reject = True` it answers every
message with `451` (a server that is up but cannot take mail now).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    raw: bytes
    at: float
    """`time.monotonic()` when the server accepted the message."""
    peer: tuple[str, int] | None = None
    """The client's address and port: one per SMTP connection."""

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class SmtpSink:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.reject = False
        self.messages: list[Received] = []
        self._changed = threading.Condition()
        self._controller: Controller | None = None
        self._reserved: socket.socket | None = None
        self._reserve(0)

    def _reserve(self, port: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        self.port: int = sock.getsockname()[1]
        self._reserved = sock

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpSink:
        if self._controller is None:
            assert self._reserved is not None
            self._reserved.close()
            self._reserved = None
            self._controller = Controller(self, hostname=self.host, port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
            self._reserve(self.port)

    def close(self) -> None:
        self.stop()
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None

    def __enter__(self) -> SmtpSink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject:
            return "451 4.3.0 Mail server temporarily unavailable"
        received = Received(
            sender=envelope.mail_from,
            recipients=list(envelope.rcpt_tos),
            raw=bytes(envelope.content),
            at=time.monotonic(),
            peer=tuple(session.peer[:2]) if session.peer else None,
        )
        with self._changed:
            self.messages.append(received)
            self._changed.notify_all()
        return "250 2.0.0 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(f"{len(self.messages)} of {count} messages within {timeout}s")
            return list(self.messages)

    async def wait_for_async(self, count: int, within: float = 10) -> list[Received]:
        return await asyncio.to_thread(self.wait_for, count, within)
