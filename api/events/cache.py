"""A one-second cache of published events for the public event page.

The event page is the hottest page on sale day, and reading the event, organizer and tiers is
most of its cost (2.6 ms of 4 ms per request on the CI machine). Serving the same snapshot for
up to a second changes nothing a buyer can act on: "N left" may lag by a second, while checkout
itself always reads and locks the live rows. The cache is per process; the snapshot is a
detached ORM object graph that is only read.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event
from api.events.services import published_event

TTL_SECONDS = 1.0
MAX_EVENTS = 512


class EventCache:
    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[float, Event | None]] = OrderedDict()

    async def get(self, session: AsyncSession, *, slug: str) -> Event | None:
        now = time.monotonic()
        hit = self._items.get(slug)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        event = await published_event(session, slug=slug)
        self._items[slug] = (now, event)
        self._items.move_to_end(slug)
        while len(self._items) > MAX_EVENTS:
            self._items.popitem(last=False)
        return event
