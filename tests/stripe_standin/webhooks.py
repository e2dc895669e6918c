"""Webhook delivery: sign each event as Stripe does and POST it to the app, in controllable ways.

Signing follows `stripe/_webhook.py`: the body is the event JSON exactly as sent, and the header
is `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`, so
`stripe.Webhook.construct_event(body, header, secret)` accepts it with the right secret only.
Events carrying `account` (Connect events such as `account.updated`) go to the Connect endpoint,
the rest to the platform endpoint; each endpoint has its own URL and secret, changeable any time.

Delivery runs on the stand-in's event loop: one worker drains a FIFO queue, so by default events
arrive one at a time in the order they happened. Tests can bend that the way real Stripe does:

* `hold()` keeps events back; `release(order=...)` sends them, reordered.
* `duplicate = N` sends every event N times (`concurrent_duplicates = True`: all at once).
* `redeliver(event)` is Stripe's retry: the same event id and body, freshly signed.

Every attempt is kept as a `Delivery` with the app's HTTP status. `settle()` waits until nothing
is queued or in flight; `wait_for()` waits for particular deliveries. Both have `_async` twins.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

Event = dict[str, Any]
Order = Sequence[str] | Callable[[list[Event]], list[Event]] | str | None


@dataclass
class Endpoint:
    """Where one kind of event goes, and the secret it is signed with."""

    url: str | None
    secret: str


@dataclass(frozen=True)
class Delivery:
    """One POST of one event to the app."""

    event_id: str
    event_type: str
    endpoint: str
    """`platform` or `connect`."""
    url: str | None
    attempt: int
    """1 for the first delivery of this event, 2 for the next (duplicate or retry), …"""
    status_code: int | None
    """The app's answer; None when nothing answered (see `error`)."""
    error: str | None = None
    payload: str = ""
    signature: str = ""
    response_body: str = ""
    at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for `payload`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookSender:
    def __init__(self, *, platform: Endpoint, connect: Endpoint) -> None:
        self.endpoints = {"platform": platform, "connect": connect}
        self.duplicate = 1
        self.concurrent_duplicates = False
        self._cond = threading.Condition()
        self._held: list[Event] | None = None
        self._pending = 0
        self._deliveries: list[Delivery] = []
        self._attempts: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[list[Event], int, bool]] | None = None
        self._client: httpx.AsyncClient | None = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._client = httpx.AsyncClient(timeout=30)
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
        with self._cond:
            self._pending = 0
            self._cond.notify_all()

    def send(self, event: Event) -> None:
        """Deliver a new event now, or keep it while holding."""
        with self._cond:
            if self._held is not None:
                self._held.append(event)
                return
        self._submit([event], self.duplicate, self.concurrent_duplicates)

    def hold(self) -> None:
        with self._cond:
            if self._held is None:
                self._held = []

    @property
    def held(self) -> list[Event]:
        with self._cond:
            return list(self._held or [])

    @property
    def holding(self) -> bool:
        with self._cond:
            return self._held is not None

    def release(
        self, order: Order = None, *, duplicate: int | None = None, concurrent: bool | None = None
    ) -> list[Event]:
        """Stop holding and send what was held, in `order`; returns the events in sent order.

        `order`: None (as they happened), `"reversed"`, a callable reordering the list, or a list
        of event ids and/or event types; listed events go first in that order (a type takes all
        held events of that type), the rest follow as they happened.
        """
        with self._cond:
            events, self._held = self._held or [], None
        events = _reorder(events, order)
        if events:
            self._submit(
                events,
                self.duplicate if duplicate is None else duplicate,
                self.concurrent_duplicates if concurrent is None else concurrent,
            )
        return events

    def redeliver(self, event: Event, *, times: int = 1, concurrent: bool = False) -> None:
        """Stripe's retry: the same event again, signed with a fresh timestamp."""
        self._submit([event], times, concurrent)

    def _submit(self, events: list[Event], times: int, concurrent: bool) -> None:
        if self._loop is None or self._queue is None:
            raise RuntimeError("the Stripe stand-in is not running")
        with self._cond:
            self._pending += len(events)
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (events, times, concurrent))

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            events, times, concurrent = await self._queue.get()
            for event in events:
                try:
                    if concurrent:
                        await asyncio.gather(*(self._post(event) for _ in range(times)))
                    else:
                        for _ in range(times):
                            await self._post(event)
                except Exception as error:  # a stand-in bug: record it, keep the worker alive
                    self._record(
                        Delivery(event["id"], event["type"], "?", None, 0, None, repr(error))
                    )
                finally:
                    with self._cond:
                        self._pending -= 1
                        self._cond.notify_all()

    async def _post(self, event: Event) -> None:
        name = "connect" if "account" in event else "platform"
        endpoint = self.endpoints[name]
        with self._cond:
            self._attempts[event["id"]] += 1
            attempt = self._attempts[event["id"]]
        record: dict[str, Any] = {
            "event_id": event["id"],
            "event_type": event["type"],
            "endpoint": name,
            "url": endpoint.url,
            "attempt": attempt,
        }
        if not endpoint.url:
            self._record(Delivery(**record, status_code=None, error=f"no {name} endpoint URL"))
            return
        payload = json.dumps(event, indent=2)
        signature = sign(payload, endpoint.secret)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature,
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        assert self._client is not None
        try:
            response = await self._client.post(endpoint.url, content=payload, headers=headers)
        except Exception as error:  # anything the app's side does must not kill the worker
            delivery = Delivery(
                **record, status_code=None, error=repr(error), payload=payload, signature=signature
            )
        else:
            delivery = Delivery(
                **record,
                status_code=response.status_code,
                payload=payload,
                signature=signature,
                response_body=response.text[:2000],
            )
        self._record(delivery)

    def _record(self, delivery: Delivery) -> None:
        with self._cond:
            self._deliveries.append(delivery)
            self._cond.notify_all()

    @property
    def deliveries(self) -> list[Delivery]:
        with self._cond:
            return list(self._deliveries)

    def settle(self, timeout: float = 10) -> list[Delivery]:
        """Wait until every event sent so far (not held ones) has been delivered."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._pending == 0, timeout):
                raise TimeoutError(f"{self._pending} webhook deliveries still pending")
            return list(self._deliveries)

    def wait_for(
        self,
        *,
        type: str | None = None,
        event_id: str | None = None,
        count: int = 1,
        timeout: float = 10,
    ) -> list[Delivery]:
        """Wait for at least `count` deliveries matching the filters; returns all that match."""

        def matching() -> list[Delivery]:
            return [
                delivery
                for delivery in self._deliveries
                if (type is None or delivery.event_type == type)
                and (event_id is None or delivery.event_id == event_id)
            ]

        with self._cond:
            if not self._cond.wait_for(lambda: len(matching()) >= count, timeout):
                seen = [(d.event_type, d.status_code) for d in self._deliveries]
                raise TimeoutError(
                    f"wanted {count} deliveries of {type or event_id or 'any event'}; got {seen}"
                )
            return matching()

    async def settle_async(self, within: float = 10) -> list[Delivery]:
        return await asyncio.to_thread(self.settle, within)

    async def wait_for_async(self, **filters: Any) -> list[Delivery]:
        return await asyncio.to_thread(lambda: self.wait_for(**filters))

    def reset(self) -> None:
        """Forget deliveries, drop held events, back to single sequential delivery."""
        with self._cond:
            self._deliveries.clear()
            self._attempts.clear()
            self._held = None
            self.duplicate = 1
            self.concurrent_duplicates = False


def _reorder(events: list[Event], order: Order) -> list[Event]:
    if order is None:
        return events
    if order in ("reverse", "reversed"):
        return list(reversed(events))
    if callable(order):
        return list(order(list(events)))
    if isinstance(order, str):
        raise ValueError(f"unknown order {order!r}: use 'reversed', a list or a callable")
    first: list[Event] = []
    for key in order:
        chosen = {event["id"] for event in first}
        picked = [e for e in events if key in (e["id"], e["type"]) and e["id"] not in chosen]
        if not picked:
            raise ValueError(f"no held event has id or type {key!r}")
        first.extend(picked)
    chosen = {event["id"] for event in first}
    return first + [event for event in events if event["id"] not in chosen]
