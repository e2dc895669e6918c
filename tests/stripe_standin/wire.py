"""Stripe's v1 wire format, both directions: bracket-style form decoding, ids and errors.

stripe-python (`stripe/_encode.py::_api_encode`) flattens nested params into form fields such as
`line_items[0][price_data][currency]=usd` and `expand[0]=payment_intent`; booleans travel as
`true`/`false`, numbers as decimal strings, and `None` values are left out. `decode_form` turns
those pairs back into a tree of plain dicts whose leaves are strings. It does not decide which
dicts are really lists: a `metadata[0]` key is a dict key, `line_items[0]` a list index, and only
the parameter types (see `params.py`) can tell them apart.

Errors leave the stand-in as Stripe's error envelope, `{"error": {"type", "message", "param",
"code"}}`, with the HTTP status stripe-python maps to its exception classes (400 and 404 become
`InvalidRequestError`, 401 `AuthenticationError`, `idempotency_error` `IdempotencyError`).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterable
from typing import Any

Tree = dict[str, Any]
"""A decoded form: nested dicts whose leaves are strings."""

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_ALPHABET = string.ascii_letters + string.digits

ID_LENGTHS = {"cs_test": 58, "acct": 16, "req": 14}
"""Random part lengths that differ from the usual 24 characters."""


class StripeError(Exception):
    """An API failure, rendered as Stripe's JSON error envelope."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.param = param
        self.code = code

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def missing(kind: str, object_id: str, *, param: str = "id", status: int = 404) -> StripeError:
    """Stripe's error for an id that does not exist (`No such refund: 're_…'`)."""
    return StripeError(
        f"No such {kind}: '{object_id}'", status=status, param=param, code="resource_missing"
    )


def new_id(prefix: str) -> str:
    """A fresh Stripe-looking id such as `pi_3Qx…` or `cs_test_a1…`."""
    length = ID_LENGTHS.get(prefix, 24)
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def field_name(path: Iterable[str | int]) -> str:
    """The form name of a path: `("line_items", 0, "quantity")` → `line_items[0][quantity]`."""
    parts = [str(part) for part in path]
    if not parts:
        return ""
    return parts[0] + "".join(f"[{part}]" for part in parts[1:])


def decode_form(pairs: Iterable[tuple[str, str]]) -> Tree:
    """Rebuild the nested tree stripe-python flattened.

    `a[]` (accepted by Stripe, though stripe-python always writes indexes) appends a fresh index.
    A name that is both a leaf and a parent (`metadata=` and `metadata[k]=v`) is an error, as it is
    on Stripe.
    """
    tree: Tree = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise StripeError(f"Invalid parameter name: {key}", param=key)
        segments = [match.group(1), *_SEGMENT.findall(match.group(2))]
        node = tree
        for depth, segment in enumerate(segments):
            name = str(len(node)) if segment == "" else segment
            last = depth == len(segments) - 1
            if last:
                if isinstance(node.get(name), dict):
                    raise StripeError(
                        f"Invalid value for {field_name(segments)}: cannot be both a value and a "
                        "hash",
                        param=field_name(segments[: depth + 1]),
                    )
                node[name] = value
                break
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                raise StripeError(
                    f"Invalid value for {field_name(segments[: depth + 1])}: cannot be both a "
                    "value and a hash",
                    param=field_name(segments[: depth + 1]),
                )
            node = child
    return tree


def bearer_key(authorization: str | None, expected: str) -> str:
    """The secret key from `Authorization: Bearer sk_test_…` if it is `expected`, else a 401."""
    if not authorization:
        raise StripeError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
            status=401,
        )
    scheme, _, key = authorization.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise StripeError(
            "Invalid API Key provided: use Bearer auth with a secret key.", status=401
        )
    if key != expected:
        shown = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:]
        raise StripeError(
            f"Invalid API Key provided: {shown} (the stand-in takes only its own test key)",
            status=401,
            code="api_key_invalid",
        )
    return key
