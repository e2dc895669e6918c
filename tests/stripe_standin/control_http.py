"""The test controls over HTTP, under `/_standin/…`, for browser tests and other processes.

JSON in (optional body), JSON out: the object acted on, as the API would show it. Errors come
back in Stripe's error envelope (400/404). No auth: the stand-in only listens on loopback.

    POST /_standin/checkout/sessions/<cs>/complete        {"delayed": false, "email": "…"}
    POST /_standin/checkout/sessions/<cs>/async_payment_succeeded
    POST /_standin/checkout/sessions/<cs>/async_payment_failed
    POST /_standin/checkout/sessions/<cs>/expire
    POST /_standin/payments/<cs|pi|ch>/refund             {"amount", "metadata", "status",
                                                          "reverse_transfer", "reason"}
    POST /_standin/refunds/<re>/fail                      POST /_standin/refunds/<re>/succeed
    POST /_standin/payments/<cs|pi|ch>/dispute            {"amount", "reason"}
    POST /_standin/disputes/<dp>/close                    {"outcome": "won" | "lost"}
    POST /_standin/accounts                               {"charges_enabled", "email", "metadata"}
    POST /_standin/accounts/<acct>/charges_enabled        {"enabled": true}
    POST /_standin/webhooks/config                        {"webhook_url", "webhook_secret",
                                                           "connect_webhook_url",
                                                           "connect_webhook_secret", "duplicate",
                                                           "concurrent_duplicates"}
    POST /_standin/webhooks/hold
    POST /_standin/webhooks/release                       {"order": "reversed" | [ids or types],
                                                           "duplicate", "concurrent"}
    POST /_standin/webhooks/settle                        {"timeout": 10} → the deliveries
    POST /_standin/events/<evt>/redeliver                 {"times": 1, "concurrent": false}
    GET  /_standin/events   /_standin/deliveries   /_standin/requests   /_standin/objects/<id>
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from tests.stripe_standin.wire import StripeError

if TYPE_CHECKING:
    from tests.stripe_standin.standin import StripeStandin

Body = dict[str, Any]
Action = Callable[["StripeStandin", str, Body], Any]
_CONFIG_KEYS = (
    "webhook_url",
    "webhook_secret",
    "connect_webhook_url",
    "connect_webhook_secret",
    "duplicate",
    "concurrent_duplicates",
)


def _configure(standin: StripeStandin, _: str, body: Body) -> Body:
    for key in _CONFIG_KEYS:
        if key in body:
            setattr(standin, key, body[key])
    return {key: getattr(standin, key) for key in _CONFIG_KEYS}


def _hold(standin: StripeStandin, _: str, body: Body) -> Body:
    standin.hold()
    return {"holding": True}


def _release(standin: StripeStandin, _: str, body: Body) -> Body:
    events = standin.release(
        body.get("order"), duplicate=body.get("duplicate"), concurrent=body.get("concurrent")
    )
    return {"released": [event["id"] for event in events]}


def _redeliver(standin: StripeStandin, event_id: str, body: Body) -> Body:
    standin.redeliver(
        event_id, times=body.get("times", 1), concurrent=body.get("concurrent", False)
    )
    return {"redelivered": event_id}


ACTIONS: list[tuple[re.Pattern[str], Action]] = [
    (re.compile(pattern.replace("<id>", "(?P<id>[^/]+)") + "$"), action)
    for pattern, action in [
        (
            "checkout/sessions/<id>/complete",
            lambda s, i, b: s.complete_session(
                i, delayed=b.get("delayed", False), email=b.get("email")
            ),
        ),
        (
            "checkout/sessions/<id>/async_payment_succeeded",
            lambda s, i, b: s.async_payment_succeeded(i),
        ),
        ("checkout/sessions/<id>/async_payment_failed", lambda s, i, b: s.async_payment_failed(i)),
        ("checkout/sessions/<id>/expire", lambda s, i, b: s.expire_session(i)),
        (
            "payments/<id>/refund",
            lambda s, i, b: s.refund(
                i,
                b.get("amount"),
                metadata=b.get("metadata"),
                reverse_transfer=b.get("reverse_transfer", False),
                status=b.get("status", "succeeded"),
                reason=b.get("reason"),
            ),
        ),
        ("refunds/<id>/fail", lambda s, i, b: s.fail_refund(i)),
        ("refunds/<id>/succeed", lambda s, i, b: s.succeed_refund(i)),
        (
            "payments/<id>/dispute",
            lambda s, i, b: s.open_dispute(
                i, b.get("amount"), reason=b.get("reason", "fraudulent")
            ),
        ),
        ("disputes/<id>/close", lambda s, i, b: s.close_dispute(i, b.get("outcome", ""))),
        (
            "accounts",
            lambda s, i, b: s.create_account(
                charges_enabled=b.get("charges_enabled", False),
                email=b.get("email"),
                metadata=b.get("metadata"),
            ),
        ),
        (
            "accounts/<id>/charges_enabled",
            lambda s, i, b: s.set_charges_enabled(i, b.get("enabled", True)),
        ),
        ("webhooks/config", _configure),
        ("webhooks/hold", _hold),
        ("webhooks/release", _release),
        ("events/<id>/redeliver", _redeliver),
    ]
]


def _standin(request: Request[Any, Any, Any]) -> StripeStandin:
    standin: StripeStandin = request.app.state.standin
    return standin


def _json(value: Any, status: int = 200) -> Response[bytes]:
    body = json.dumps(value, default=str).encode()  # default: Decimal params in the request log
    return Response(body, status_code=status, media_type="application/json")


async def _body(request: Request[Any, Any, Any]) -> Body:
    raw = await request.body()
    body = json.loads(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise StripeError("The control API takes a JSON object.")
    return body


def _deliveries(standin: StripeStandin) -> list[Body]:
    return [dataclasses.asdict(delivery) for delivery in standin.deliveries]


@post("/_standin/webhooks/settle", status_code=200)
async def settle(request: Request[Any, Any, Any]) -> Response[bytes]:
    standin = _standin(request)
    body = await _body(request)
    await standin.settle_async(float(body.get("timeout", 10)))
    return _json(_deliveries(standin))


@post("/_standin/{path:path}", status_code=200)
async def act(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
    standin = _standin(request)
    body = await _body(request)
    for pattern, action in ACTIONS:
        found = pattern.match(path.strip("/"))
        if found:
            try:
                return _json(action(standin, found.groupdict().get("id", ""), body))
            except (ValueError, KeyError, TypeError) as error:
                raise StripeError(f"Invalid control request: {error}") from error
    raise StripeError(f"Unknown stand-in control: POST {request.url.path}", status=404)


@get("/_standin/{path:path}", sync_to_thread=False)
def look(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
    standin = _standin(request)
    path = path.strip("/")
    if path == "events":
        return _json(standin.events)
    if path == "deliveries":
        return _json(_deliveries(standin))
    if path == "requests":
        return _json([dataclasses.asdict(record) for record in standin.requests])
    if path.startswith("objects/"):
        object_id = path.removeprefix("objects/")
        try:
            return _json(standin.get(object_id))
        except KeyError:
            raise StripeError(f"No such object: '{object_id}'", status=404) from None
    raise StripeError(f"Unknown stand-in control: GET {request.url.path}", status=404)


ROUTE_HANDLERS = [settle, act, look]
