"""One event's attendees as CSV: a row per issued pass (void ones too, with their status), the
holder's name, and a column per question the event asks, headed by the question (Hi.Events'
attendee export with answers; pretix's per-question columns). Read from a server-side cursor
through a session of its own, like the other exports (api/admin/exports.py).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from api.admin.csvfile import BOM, encode
from api.checkout.attendees import questions
from api.checkout.holders import answer_text
from api.db import Attendee, Order, Pass, TicketTier
from api.db.orders import order_reference
from api.passes.tokens import pass_key_text

COLUMNS = [
    "pass_id", "order_id", "order_reference", "tier", "status", "buyer_email", "buyer_name",
    "attendee_name",
]  # fmt: skip
PARTITION = 1000


def _headers(labels: list[str]) -> list[str]:
    """The questions as column names, made unique ("Diet", "Diet (2)")."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


async def attendee_csv(sessions: Any, *, event_id: uuid.UUID) -> AsyncIterator[bytes]:
    async with sessions() as db:
        asked = await questions(db, event_id=event_id)
        yield BOM + encode([COLUMNS + _headers([q.label for q in asked])])
        query = (
            select(Pass, Order.public_id, Order.id, Order.buyer_email, Order.buyer_name,
                   TicketTier.name, Attendee)
            .join(Order, Order.id == Pass.order_id)
            .join(TicketTier, TicketTier.id == Pass.tier_id)
            .outerjoin(Attendee, Attendee.pass_id == Pass.id)
            .where(Pass.event_id == event_id)
            .order_by(Pass.created_at, Pass.change_seq)
            .execution_options(yield_per=PARTITION)
        )  # fmt: skip
        result = await db.stream(query)
        async for partition in result.partitions():
            yield encode(
                [
                    pass_key_text(item.pass_key), public_id, order_reference(order_id),
                    tier_name, item.status, email, buyer_name,
                    attendee.name if attendee else "",
                    *[
                        answer_text(q, attendee.answers) if attendee and q.asked_for(item.tier_id)
                        else ""
                        for q in asked
                    ],
                ]
                for item, public_id, order_id, email, buyer_name, tier_name, attendee in partition
            )  # fmt: skip
