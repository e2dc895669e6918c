"""Writing an event for the endpoints that subscribe to it, in the caller's transaction.

An event is `{"id": "evt_…", "type": …, "created": <unix seconds>, "data": {…}}`, serialised
once: each subscribed endpoint gets a `WebhookDelivery` row holding those exact bytes (unique per
endpoint and event id) and an outbox job that sends it (api/outgoing/delivery.py). Written with
the fact it reports, the event is sent if and only if the fact commits.

With no endpoint subscribed (most organizers), emitting is one query on an index
(`ix_webhook_endpoint_organizer_enabled`) and the data is never built: callers pass a function
that builds it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import OutboxMessage, WebhookDelivery, utcnow, uuid7

ORDER_PAID = "order.paid"
ORDER_REFUNDED = "order.refunded"
PASS_VOIDED = "pass.voided"  # noqa: S105 (an event type, not a password)
PASS_CHECKED_IN = "pass.checked_in"  # noqa: S105
EVENT_SOLD_OUT = "event.sold_out"
EVENT_TYPES = (ORDER_PAID, ORDER_REFUNDED, PASS_VOIDED, PASS_CHECKED_IN, EVENT_SOLD_OUT)
JOB = "webhook_delivery"
"""The outbox kind that sends one delivery (payload `delivery_id`)."""

Data = dict[str, Any]


def new_event_id() -> str:
    return f"evt_{uuid7().hex}"


def envelope(*, event_id: str, type_: str, data: Data, created: int | None = None) -> str:
    event = {
        "id": event_id,
        "type": type_,
        "created": int(time.time()) if created is None else created,
        "data": data,
    }
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str)


SUBSCRIBERS = """
    SELECT w.id, w.events FROM webhook_endpoint AS w
    JOIN event AS e ON e.organizer_id = w.organizer_id
    WHERE e.id = :event_id AND w.enabled AND w.events && CAST(:webhook_types AS varchar[])"""
"""Which endpoints hear of an event's happenings: the enabled endpoints of the event's
organizer that subscribe to any of `:webhook_types`. SQL, so the free sale's statement can ask
it too (api/outgoing/hooks.py, ANNOUNCE_FREE)."""


async def subscribed(
    session: AsyncSession, *, event_id: uuid.UUID, types: Sequence[str]
) -> dict[str, list[uuid.UUID]]:
    """Type -> the enabled endpoints of the event's organizer that subscribe to it (only the
    types with at least one)."""
    rows = await session.execute(
        text(SUBSCRIBERS), {"event_id": event_id, "webhook_types": list(types)}
    )
    found: dict[str, list[uuid.UUID]] = {}
    for endpoint_id, events in rows:
        for type_ in types:
            if type_ in events:
                found.setdefault(type_, []).append(endpoint_id)
    return found


def write(session: AsyncSession, *, endpoints: Sequence[uuid.UUID], type_: str, data: Data) -> str:
    """Add one event for `endpoints` to the session; return its id."""
    event_id = new_event_id()
    body = envelope(event_id=event_id, type_=type_, data=data)
    now = utcnow()
    for endpoint_id in endpoints:
        delivery = WebhookDelivery(
            id=uuid7(), endpoint_id=endpoint_id, event_id=event_id, type=type_, body=body,
            created_at=now,
        )  # fmt: skip
        session.add(delivery)
        session.add(
            OutboxMessage(kind=JOB, payload={"delivery_id": str(delivery.id)}, available_at=now)
        )
    return event_id


async def emit(
    session: AsyncSession,
    *,
    event_id: uuid.UUID,
    type_: str,
    build: Callable[[], Awaitable[Sequence[Data]]],
) -> int:
    """Emit events of one type about one POCtix event, one per item `build()` returns (built only
    when an endpoint subscribes); return how many were written. The caller commits."""
    endpoints = (await subscribed(session, event_id=event_id, types=[type_])).get(type_)
    if not endpoints:
        return 0
    items = await build()
    for data in items:
        write(session, endpoints=endpoints, type_=type_, data=data)
    return len(items)
