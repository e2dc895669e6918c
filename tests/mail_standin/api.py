"""A loopback stand-in of a Postmark-style transactional email API.

    GET /server                                      (the token's server: ID, Name)
    POST /email
    X-Postmark-Server-Token: <server token>          (401, ErrorCode 10, when wrong or missing)
    Content-Type: application/json                   (415 otherwise)
    {"From", "To", "Subject", "HtmlBody", "TextBody", "MessageStream",
     "Attachments": [{"Name", "Content" (base64), "ContentType", "ContentID": "cid:…"}]}

    200 {"To", "SubmittedAt", "MessageID", "ErrorCode": 0, "Message": "OK"}
    422 {"ErrorCode": 300, "Message": "…"} for an invalid request; 400 ErrorCode 402 for bad JSON

`mode` picks how it behaves: `ok`, `error` (500 to everything) or `hang` (reads the request and
never answers, until `release()` or `stop()`). `unreachable_url()` gives a loopback URL where
nothing listens. Waits are on a condition variable, never sleeps.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

from tests.stripe_standin.server import ServerThread

Mode = Literal["ok", "error", "hang"]
INVALID = 300
TOKEN = "server-token-for-tests"


@dataclass
class ApiRequest:
    """One POST as received, with the answer it got (None while it hangs)."""

    headers: dict[str, str]
    body: bytes
    status: int | None = None
    answer: dict[str, Any] = field(default_factory=dict)


def _problem(body: dict[str, Any]) -> str | None:
    """What is wrong with a send request, as the service would say it, or None."""
    for name in ("From", "To"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            return f"Missing or invalid '{name}' field."
    if not body.get("HtmlBody") and not body.get("TextBody"):
        return "Provide either email TextBody or HtmlBody or both."
    if "\r" in body["To"] or "\n" in body["To"] or "\n" in str(body.get("Subject", "")):
        return "Header values may not contain line breaks."
    for item in body.get("Attachments") or []:
        if not all(isinstance(item.get(k), str) and item[k] for k in ("Name", "Content")):
            return "Attachments need a Name and a Content."
        if not isinstance(item.get("ContentType"), str) or "/" not in item["ContentType"]:
            return "Attachments need a ContentType."
        try:
            base64.b64decode(item["Content"], validate=True)
        except (binascii.Error, ValueError):
            return "Attachment Content must be base64."
        cid = item.get("ContentID")
        if cid is not None and not (isinstance(cid, str) and cid.startswith("cid:")):
            return "An attachment's ContentID must look like cid:name."
    return None


class MailApiStandin:
    def __init__(self, *, token: str = TOKEN) -> None:
        self.token = token
        self.mode: Mode = "ok"
        self.requests: list[ApiRequest] = []
        self.messages: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._release = threading.Event()
        self._server = ServerThread(self._asgi, name="mail-api")

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> MailApiStandin:
        self._server.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.stop()

    def __enter__(self) -> MailApiStandin:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def release(self) -> None:
        """Let hanging requests finish (with a 500: their clients have long given up)."""
        self._release.set()

    def wait_for_requests(self, count: int, timeout: float = 10) -> list[ApiRequest]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(
                    f"{len(self.requests)} of {count} API requests within {timeout}s"
                )
            return list(self.requests)

    def wait_for_messages(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(f"{len(self.messages)} of {count} messages within {timeout}s")
            return list(self.messages)

    async def wait_for_messages_async(self, count: int, within: float = 10) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.wait_for_messages, count, within)

    def _record(self, request: ApiRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def _answer(self, request: ApiRequest) -> tuple[int, dict[str, Any]]:
        if self.mode == "error":
            return 500, {"ErrorCode": 500, "Message": "Internal server error."}
        if request.headers.get("x-postmark-server-token") != self.token:
            return 401, {"ErrorCode": 10, "Message": "No valid Server token was supplied."}
        if not request.headers.get("content-type", "").startswith("application/json"):
            return 415, {"ErrorCode": 402, "Message": "Send application/json."}
        try:
            body = json.loads(request.body)
        except ValueError:
            return 400, {"ErrorCode": 402, "Message": "Received invalid JSON input."}
        if not isinstance(body, dict):
            return 422, {"ErrorCode": INVALID, "Message": "Invalid email request."}
        if problem := _problem(body):
            return 422, {"ErrorCode": INVALID, "Message": problem}
        with self._changed:
            self.messages.append(body)
            self._changed.notify_all()
        return 200, {
            "To": body["To"],
            "SubmittedAt": datetime.now(UTC).isoformat(),
            "MessageID": str(uuid.uuid4()),
            "ErrorCode": 0,
            "Message": "OK",
        }

    def _server_info(self, request: ApiRequest) -> tuple[int, dict[str, Any]]:
        """`GET /server`: the server the token belongs to (what `poctix check --online` asks)."""
        if self.mode == "error":
            return 500, {"ErrorCode": 500, "Message": "Internal server error."}
        if request.headers.get("x-postmark-server-token") != self.token:
            return 401, {"ErrorCode": 10, "Message": "No valid Server token was supplied."}
        return 200, {"ID": 1, "Name": "POCtix tests", "DeliveryType": "Live"}

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request = ApiRequest(headers=headers, body=body)
        self._record(request)
        if scope["method"] == "GET" and scope["path"] == "/server":
            status, answer = self._server_info(request)
        elif scope["method"] != "POST" or scope["path"] != "/email":
            status, answer = 404, {"ErrorCode": 404, "Message": "Not found."}
        elif self.mode == "hang":
            await asyncio.to_thread(self._release.wait, 120)
            status, answer = 500, {"ErrorCode": 500, "Message": "Timed out."}
        else:
            status, answer = self._answer(request)
        request.status, request.answer = status, answer
        payload = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length",
                             str(len(payload)).encode())],
            }
        )  # fmt: skip
        await send({"type": "http.response.body", "body": payload})


def unreachable_url() -> tuple[str, socket.socket]:
    """A loopback URL that refuses connections: the port is bound but never listens. Keep the
    returned socket open for as long as the URL must stay unreachable."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return f"http://127.0.0.1:{sock.getsockname()[1]}", sock
