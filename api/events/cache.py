"""A one-second cache of published events for the public event page.

The event page is the hottest page on sale day, and reading the event, organizer and tiers is
most of its cost (2.6 ms of 4 ms per request on the CI machine). Serving the same snapshot for
up to a second changes nothing a buyer can act on: "N left" may lag by a second, while checkout
itself always reads and locks the live rows. The cache is per process; the snapshot is a
detached ORM object graph that is only read.

Loads are single-flight: when a snapshot expires under load, one query refreshes it. Requests
that arrive meanwhile get the previous snapshot if it is at most `STALE_SECONDS` old, and
otherwise wait for that one result. Without this, the 50 requests in flight at the moment of
expiry each ran the query, queued for the connection pool and opened overflow connections,
which was most of the page's p99 (see bench/README.md).

A snapshot holds times and counts, never a verdict that depends on the clock: whether a tier is
on sale is decided from the snapshot's times at each request (`api.events.services.tier_state`),
so a sale window that closes between two loads is closed on the very next page.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.checkout.attendees import Asked, read_asked
from api.checkout.gate import SaleGate
from api.db import Event
from api.events.services import hold_ends, published_event

TTL_SECONDS = 1.0
STALE_SECONDS = 5.0
MAX_EVENTS = 512


@dataclass(frozen=True)
class Snapshot:
    """A published event with its tiers, as read at one moment."""

    event: Event
    hold_ends: Mapping[uuid.UUID, datetime] = field(default_factory=dict)
    """Tier id → the earliest end of an unpaid checkout's hold on it, for the tiers whose last
    seats are all held (only those are looked up)."""
    asked: Asked | None = None
    """What the checkout asks of each ticket (names, questions: api/checkout/attendees.py),
    read with the event, so a checkout does not read it again."""


class EventCache:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl: float = TTL_SECONDS):
        self.ttl = ttl
        self._sessions = sessions
        self._items: OrderedDict[str, tuple[float, Snapshot | None]] = OrderedDict()
        self._loading: dict[str, asyncio.Task[Snapshot | None]] = {}
        self._gates: OrderedDict[uuid.UUID, SaleGate] = OrderedDict()

    def gate(self, event_id: uuid.UUID) -> SaleGate:
        """This process's gate to the event's sale statement (api/checkout/gate.py)."""
        gate = self._gates.get(event_id)
        if gate is None:
            gate = self._gates[event_id] = SaleGate()
            while len(self._gates) > MAX_EVENTS:
                oldest, waiting = next(iter(self._gates.items()))
                if waiting.turn.locked():
                    break
                del self._gates[oldest]
        self._gates.move_to_end(event_id)
        return gate

    async def get(self, *, slug: str) -> Event | None:
        snapshot = await self.snapshot(slug=slug)
        return snapshot.event if snapshot is not None else None

    async def snapshot(self, *, slug: str) -> Snapshot | None:
        hit = self._items.get(slug)
        age = time.monotonic() - hit[0] if hit is not None else None
        if hit is not None and age is not None and age < self.ttl:
            return hit[1]
        task = self._loading.get(slug)
        if task is None:
            task = asyncio.create_task(self._load(slug))
            self._loading[slug] = task
            task.add_done_callback(self._loaded)
        if hit is not None and age is not None and age < max(STALE_SECONDS, self.ttl):
            return hit[1]
        # Shielded: a buyer who gives up waiting does not cancel the load for everyone else.
        return await asyncio.shield(task)

    def forget(self, *, slug: str) -> None:
        """Drop this process's snapshot of `slug` (an owner just cancelled the event): the next
        page reads the event again. Other processes see it within their TTL."""
        self._items.pop(slug, None)

    def _loaded(self, task: asyncio.Task[Snapshot | None]) -> None:
        self._loading = {slug: t for slug, t in self._loading.items() if t is not task}
        if not task.cancelled():
            task.exception()  # retrieved here: the waiters (if any) see it; nobody is warned twice

    async def _load(self, slug: str) -> Snapshot | None:
        started = time.monotonic()
        async with self._sessions() as session:
            event = await published_event(session, slug=slug)
            snapshot = None
            if event is not None:
                # Only tiers whose last seats are all held say when some may come back.
                held = [t.id for t in event.tiers if t.available <= 0 and t.held > 0]
                ends = await hold_ends(session, event_id=event.id, tier_ids=held) if held else {}
                snapshot = Snapshot(event, ends, asked=await read_asked(session, event=event))
        self._items[slug] = (started, snapshot)
        if snapshot is not None and (gate := self._gates.get(snapshot.event.id)) is not None:
            gate.forget_refusals()
        self._items.move_to_end(slug)
        while len(self._items) > MAX_EVENTS:
            self._items.popitem(last=False)
        return snapshot
