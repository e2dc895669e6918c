"""The stand-in's memory: every object by id, the events, idempotent replies and a request log.

One `threading.RLock` guards it all, because three threads touch it: the server's event loop
(API calls, hosted pages), the test's thread (control methods) and the webhook worker (reading
events). Domain code holds the lock for a whole operation, so an operation and the events it
emits are atomic and emitted in order.

`render` is how an object leaves the store: a deep copy (so a later change never alters an event
already sent), the charge's `refunds` list filled in, and `expand[]` paths (`payment_intent`,
`payment_intent.latest_charge`, `line_items`, `data.charge`) replaced by the objects they name.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.stripe_standin import objects
from tests.stripe_standin.wire import StripeError, missing


@dataclass
class RequestRecord:
    """One API call the app made, for tests that assert on what was sent."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    stripe_account: str | None
    status: int = 0
    error: str | None = None
    replayed: bool = False
    at: float = field(default_factory=time.time)


class Store:
    """In-memory Stripe state. Take `lock` around anything that reads then writes."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, Any]] = {}
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.intent_data: dict[str, dict[str, Any]] = {}
        self.account_links: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[RequestRecord] = []
        self.base_url = ""
        self.clock: Callable[[], float] = time.time
        self.on_event: Callable[[dict[str, Any]], None] | None = None
        self._idempotent: dict[tuple[str, str], tuple[str, int, bytes]] = {}

    def clear(self) -> None:
        """Forget every object, event, request and idempotent reply."""
        with self.lock:
            for table in (self.objects, self.line_items, self.intent_data, self.account_links):
                table.clear()
            self.events.clear()
            self.requests.clear()
            self._idempotent.clear()

    def now(self) -> int:
        return int(self.clock())

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.objects[obj["id"]] = obj
        return obj

    def get(
        self, object_id: str, kind: str, *, param: str = "id", status: int = 404
    ) -> dict[str, Any]:
        """The stored object, or Stripe's `resource_missing` error."""
        with self.lock:
            obj = self.objects.get(object_id)
        if obj is None or obj.get("object") != kind:
            raise missing(kind, object_id, param=param, status=status)
        return obj

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [obj for obj in self.objects.values() if obj.get("object") == kind]

    def refunds_of(self, charge_id: str) -> list[dict[str, Any]]:
        """A charge's refunds, newest first (Stripe's list order)."""
        refunds = [refund for refund in self.of_kind("refund") if refund["charge"] == charge_id]
        return sorted(refunds, key=lambda refund: refund["created"], reverse=True)

    def render(self, obj: dict[str, Any], expand: Iterable[str] = ()) -> dict[str, Any]:
        with self.lock:
            snapshot = self._decorate(copy.deepcopy(obj))
            for path in expand:
                self._expand(snapshot, path.split("."), path)
        return snapshot

    def _decorate(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj.get("object") == "charge":
            refunds = [copy.deepcopy(refund) for refund in self.refunds_of(obj["id"])]
            obj["refunds"] = objects.list_of(refunds, f"/v1/charges/{obj['id']}/refunds")
        return obj

    def _expand(self, node: dict[str, Any], path: list[str], full: str) -> None:
        head, rest = path[0], path[1:]
        if head == "data" and node.get("object") == "list":
            for item in node["data"]:
                if rest:
                    self._expand(item, rest, full)
            return
        if head == "line_items" and node.get("object") == "checkout.session":
            items = copy.deepcopy(self.line_items.get(node["id"], []))
            value: Any = objects.list_of(items, f"/v1/checkout/sessions/{node['id']}/line_items")
        else:
            value = node.get(head)
            if isinstance(value, str) and value in self.objects:
                value = self._decorate(copy.deepcopy(self.objects[value]))
            elif head not in node or (value is not None and not isinstance(value, dict)):
                raise StripeError(f"This property cannot be expanded ({full}).", param="expand")
        node[head] = value
        if rest and isinstance(value, dict):
            self._expand(value, rest, full)

    def emit(
        self,
        kind: str,
        obj: dict[str, Any],
        *,
        previous: dict[str, Any] | None = None,
        account_id: str | None = None,
        request: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record the event Stripe would create for `obj` and hand it to the webhook sender."""
        with self.lock:
            event = objects.event(
                kind,
                self.render(obj),
                now=self.now(),
                previous=previous,
                account_id=account_id,
                request=request,
            )
            self.events.append(event)
            self.objects[event["id"]] = event
            if self.on_event is not None:
                self.on_event(event)
        return event

    def replay(self, api_key: str, key: str, fingerprint: str) -> tuple[int, bytes] | None:
        """The stored reply for a reused `Idempotency-Key`, or None the first time."""
        with self.lock:
            hit = self._idempotent.get((api_key, key))
        if hit is None:
            return None
        if hit[0] != fingerprint:
            raise StripeError(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type="idempotency_error",
            )
        return hit[1], hit[2]

    def remember(self, api_key: str, key: str, fingerprint: str, status: int, body: bytes) -> None:
        with self.lock:
            self._idempotent[(api_key, key)] = (fingerprint, status, body)


def fingerprint(method: str, path: str, tree: dict[str, Any]) -> str:
    """What must match for an idempotent replay: endpoint and parameters, in any order."""
    return json.dumps([method, path, tree], sort_keys=True)
