"""One process's turn at an event's sale statement, and what the database refused lately.

At the instant a tier goes on sale, hundreds of checkouts arrive together. Sent to PostgreSQL
at once, they all queue on the tier's row (and, for free orders, the event's change counter):
each waiter wakes at every commit ahead of it to follow the row's update chain, and every
refusal waits behind every sale in flight. With `SaleGate`, each process sends one placement
statement per event at a time (a sale takes a few milliseconds, so two workers still seat
hundreds a second); the rest wait here, on an asyncio lock, at no cost to the database. When a
statement comes back "Sold out", the gate remembers the tier and quantity, so the checkouts
still waiting, and those arriving, are told at once without a statement of their own.

The memory lasts until the event's next snapshot is read (at most a second, api/events/cache.py):
a seat that comes back (a refund, a lapsed hold) is on sale again from then on. The database
stays the one judge of capacity; the gate only keeps this process from asking a question it
has just had answered.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping


class SaleGate:
    def __init__(self) -> None:
        self.turn = asyncio.Lock()
        self.refused: dict[uuid.UUID, int] = {}
        """Tier id → the smallest quantity the database refused for it since the snapshot."""

    def refuses(self, tier_id: uuid.UUID, quantity: int) -> bool:
        """Whether the database refused as many or fewer of this tier moments ago."""
        return quantity >= self.refused.get(tier_id, quantity + 1)

    def note_refused(self, refused: Mapping[uuid.UUID, int]) -> None:
        for tier_id, quantity in refused.items():
            self.refused[tier_id] = min(quantity, self.refused.get(tier_id, quantity))

    def forget_refusals(self) -> None:
        """A snapshot read after the refusals: its counts speak from now on."""
        self.refused.clear()
