"""The `/v1/…` endpoints POCtix calls, served the way api.stripe.com serves them.

Every call goes through `handle`: Bearer auth with the stand-in's own test key, a route from
`ROUTES` (else Stripe's "Unrecognized request URL"), the form body or query string decoded and
checked against the route's `stripe.params` TypedDict, Stripe's metadata limits,
`Idempotency-Key` replay (same key and parameters → the very same reply; other parameters →
`idempotency_error`), then the operation and `expand[]`. Replies carry `Request-Id` and
`Stripe-Version`; every call lands in `Store.requests` so tests can assert on what the app sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import stripe.params as sp
import stripe.params.checkout as checkout_params
from litestar import Request, Response

from tests.stripe_standin import accounts, checkout, country_specs, refunds
from tests.stripe_standin.objects import API_VERSION, list_of
from tests.stripe_standin.params import validate
from tests.stripe_standin.store import RequestRecord, Store, fingerprint
from tests.stripe_standin.wire import StripeError, bearer_key, decode_form, new_id


@dataclass
class Call:
    """What an endpoint function gets: the store, checked params and the path's id."""

    store: Store
    params: dict[str, Any]
    object_id: str
    request: dict[str, Any]
    """The event `request` field for anything this call emits."""
    refund_status: str


Operation = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    params: type
    operation: Operation


def _retrieve(kind: str, param: str) -> Operation:
    return lambda call: call.store.get(call.object_id, kind, param=param)


def _line_items(call: Call) -> dict[str, Any]:
    session = call.store.get(call.object_id, "checkout.session", param="session")
    items = call.store.line_items.get(session["id"], [])
    return list_of(items, f"/v1/checkout/sessions/{session['id']}/line_items")


def _webhook_endpoints(call: Call) -> dict[str, Any]:
    newest_first = sorted(
        call.store.of_kind("webhook_endpoint"), key=lambda item: item["created"], reverse=True
    )
    return list_of(newest_first[: call.params.get("limit", 10)], "/v1/webhook_endpoints")


def _route(method: str, path: str, params: type, operation: Operation) -> Route:
    pattern = re.compile("^" + path.replace("{id}", "(?P<id>[^/]+)") + "$")
    return Route(method, pattern, params, operation)


ROUTES = (
    _route(
        "POST",
        "/v1/checkout/sessions",
        checkout_params.SessionCreateParams,
        lambda call: checkout.create_session(call.store, call.params, request=call.request),
    ),
    _route(
        "GET",
        "/v1/checkout/sessions/{id}",
        checkout_params.SessionRetrieveParams,
        _retrieve("checkout.session", "session"),
    ),
    _route(
        "POST",
        "/v1/checkout/sessions/{id}/expire",
        checkout_params.SessionExpireParams,
        lambda call: checkout.expire_session(call.store, call.object_id, request=call.request),
    ),
    _route(
        "GET",
        "/v1/checkout/sessions/{id}/line_items",
        checkout_params.SessionLineItemListParams,
        _line_items,
    ),
    _route(
        "GET",
        "/v1/payment_intents/{id}",
        sp.PaymentIntentRetrieveParams,
        _retrieve("payment_intent", "intent"),
    ),
    _route("GET", "/v1/charges/{id}", sp.ChargeRetrieveParams, _retrieve("charge", "charge")),
    _route(
        "POST",
        "/v1/refunds",
        sp.RefundCreateParams,
        lambda call: refunds.create_refund(
            call.store, call.params, status=call.refund_status, request=call.request
        ),
    ),
    _route("GET", "/v1/refunds/{id}", sp.RefundRetrieveParams, _retrieve("refund", "refund")),
    _route("GET", "/v1/disputes/{id}", sp.DisputeRetrieveParams, _retrieve("dispute", "dispute")),
    _route(
        "POST",
        "/v1/accounts",
        sp.AccountCreateParams,
        lambda call: accounts.create_account(call.store, call.params),
    ),
    _route("GET", "/v1/accounts/{id}", sp.AccountRetrieveParams, _retrieve("account", "account")),
    _route(
        "GET",
        "/v1/account",
        sp.AccountRetrieveCurrentParams,
        lambda call: accounts.platform_account(call.store),
    ),
    _route("GET", "/v1/webhook_endpoints", sp.WebhookEndpointListParams, _webhook_endpoints),
    _route(
        "POST",
        "/v1/account_links",
        sp.AccountLinkCreateParams,
        lambda call: accounts.create_link(call.store, call.params),
    ),
    _route("GET", "/v1/events/{id}", sp.EventRetrieveParams, _retrieve("event", "id")),
    _route(
        "GET",
        "/v1/country_specs/{id}",
        sp.CountrySpecRetrieveParams,
        lambda call: country_specs.retrieve(call.object_id),
    ),
)


def _match(method: str, path: str) -> tuple[Route, str]:
    for route in ROUTES:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, found.groupdict().get("id", "")
    raise StripeError(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or "
        "we can help at https://support.stripe.com/.",
        status=404,
    )


def check_metadata(value: Any, path: str = "") -> None:
    """Stripe's metadata limits, wherever a `metadata` hash appears in the params."""
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        name = f"{path}[{key}]" if path else str(key)
        if key == "metadata" and isinstance(item, dict):
            if len(item) > 50:
                raise StripeError("You can have at most 50 metadata keys.", param=name)
            for meta_key, meta_value in item.items():
                if len(meta_key) > 40:
                    raise StripeError(
                        "Metadata keys can have a maximum length of 40 characters.",
                        param=f"{name}[{meta_key}]",
                    )
                if len(meta_value) > 500:
                    raise StripeError(
                        "Metadata values can have a maximum length of 500 characters.",
                        param=f"{name}[{meta_key}]",
                    )
        else:
            check_metadata(item, name)


async def handle(
    request: Request[Any, Any, Any], store: Store, *, api_key: str, refund_status: str
) -> Response[bytes]:
    """Serve one API call; never raises."""
    request_id = new_id("req")
    method, path = request.method.upper(), request.url.path
    key = request.headers.get("idempotency-key") if method == "POST" else None
    record = RequestRecord(method, path, {}, key, request.headers.get("stripe-account"))
    headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
    try:
        bearer_key(request.headers.get("authorization"), api_key)
        route, object_id = _match(method, path)
        raw = (await request.body()).decode() if method == "POST" else ""
        if method != "POST":
            raw = request.scope["query_string"].decode()
        tree = decode_form(parse_qsl(raw, keep_blank_values=True))
        record.params = tree
        signature = fingerprint(method, path, tree)
        replayed = store.replay(api_key, key, signature) if key else None
        if replayed is not None:
            record.replayed = True
            status, body = replayed
            headers["Idempotent-Replayed"] = "true"
        else:
            params = validate(route.params, tree)
            record.params = params
            check_metadata(params)
            call = Call(
                store, params, object_id, {"id": request_id, "idempotency_key": key}, refund_status
            )
            with store.lock:
                obj = route.operation(call)
                status, body = 200, json.dumps(store.render(obj, params.get("expand", []))).encode()
                if key:
                    store.remember(api_key, key, signature, status, body)
    except StripeError as error:
        status, body = error.status, json.dumps(error.body(request_id)).encode()
        record.error = error.message
        headers["Stripe-Should-Retry"] = "false"
    record.status = status
    with store.lock:
        store.requests.append(record)
    return Response(body, status_code=status, media_type="application/json", headers=headers)
