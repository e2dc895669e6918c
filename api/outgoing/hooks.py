"""The calls the places that decide each fact make (one line each there), in their transaction.

Each asks `emit.subscribed` once (one indexed query) and builds nothing when no endpoint of the
event's organizer wants the event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, OrderLine, Pass, ScannerDevice, utcnow
from api.outgoing import payloads
from api.outgoing.emit import (
    EVENT_SOLD_OUT,
    ORDER_PAID,
    ORDER_REFUNDED,
    PASS_CHECKED_IN,
    PASS_VOIDED,
    SUBSCRIBERS,
    subscribed,
    write,
)
from api.passes.tokens import pass_key_text

if TYPE_CHECKING:
    from api.outbox.worker import Done, JobContext

FREE_ORDER_PAID = "free_order_paid"
"""The outbox kind that emits a free order's `order.paid` (and `event.sold_out`): payload
`order_id`, `event_id`."""

ANNOUNCE_FREE = f"""
    announced AS (
        INSERT INTO outbox_message (id, kind, payload, status, attempts, available_at,
                                    created_at)
        SELECT :announce_id, '{FREE_ORDER_PAID}',
               jsonb_build_object('order_id', placed.id, 'event_id', CAST(:event_id AS uuid)),
               'pending', 0, now(), now()
        FROM placed
        WHERE EXISTS ({SUBSCRIBERS})
    )"""  # noqa: S608  (constants of this package)
"""A data-modifying CTE (to follow a comma) for a free sale's one autocommitted statement
(api/checkout/placement.py): when the event's organizer has an endpoint for `order.paid` or
`event.sold_out`, a job that emits them (`free_order_paid`) for the order in CTE `placed`.
Written by the sale's own statement, the webhooks cannot be lost to a crash (or a database
gone) between the sale and a second statement, and a sale with no endpoint costs one indexed
look-up. Parameters: `:announce_id` (a new uuid), `:webhook_types` (`ANNOUNCED`)."""
ANNOUNCED = [ORDER_PAID, EVENT_SOLD_OUT]
"""What a `free_order_paid` job emits (`order_paid`)."""


def _from_millis(value: object) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(value / 1000, UTC).isoformat()


async def order_paid(session: AsyncSession, *, order_id: uuid.UUID, event_id: uuid.UUID) -> None:
    """An order was paid (or placed free): `order.paid`, and `event.sold_out` for each of its
    tiers whose last seat it took."""
    wanted = await subscribed(session, event_id=event_id, types=ANNOUNCED)
    if not wanted:
        return
    if ORDER_PAID in wanted:
        data = await payloads.order_data(session, order_id=order_id)
        write(session, endpoints=wanted[ORDER_PAID], type_=ORDER_PAID, data={"order": data})
    if EVENT_SOLD_OUT in wanted:
        tiers = await session.scalars(
            select(OrderLine.tier_id).where(OrderLine.order_id == order_id)
        )
        for item in await payloads.sold_out_tiers(session, event_id=event_id, tier_ids=list(tiers)):
            write(session, endpoints=wanted[EVENT_SOLD_OUT], type_=EVENT_SOLD_OUT, data=item)


async def free_order_paid(payload: dict[str, Any], ctx: JobContext) -> Done:
    """The `free_order_paid` job: `order_paid` in the job's transaction."""
    from api.outbox.worker import Done

    await order_paid(
        ctx.session,
        order_id=uuid.UUID(payload["order_id"]),
        event_id=uuid.UUID(payload["event_id"]),
    )
    return Done(provider="poctix")


async def order_refunded(session: AsyncSession, *, order: Order, full: bool) -> None:
    wanted = await subscribed(session, event_id=order.event_id, types=[ORDER_REFUNDED])
    if not wanted:
        return
    await session.flush()
    data = await payloads.order_data(session, order_id=order.id)
    write(
        session, endpoints=wanted[ORDER_REFUNDED], type_=ORDER_REFUNDED,
        data={"order": data, "refunded_minor": order.refunded_minor, "full": full},
    )  # fmt: skip


async def passes_voided(
    session: AsyncSession, *, event_id: uuid.UUID, passes: Sequence[Pass], reason: str
) -> None:
    wanted = await subscribed(session, event_id=event_id, types=[PASS_VOIDED])
    if not wanted:
        return
    for item in await payloads.passes_data(session, passes=passes):
        write(
            session, endpoints=wanted[PASS_VOIDED], type_=PASS_VOIDED,
            data={**item, "reason": reason},
        )  # fmt: skip


async def checked_in(
    session: AsyncSession, *, device: ScannerDevice, scans: Sequence[Mapping[str, Any]],
    pass_keys: Sequence[bytes | None],
) -> None:  # fmt: skip
    """Admissions a door's sync push brought to the server (one event per admitted scan of a
    known pass; exits, refusals and placeholders are not admissions)."""
    admitted = [
        (scan, key) for scan, key in zip(scans, pass_keys, strict=True)
        if key is not None and scan.get("admitted") is True and scan.get("direction") != "out"
    ]  # fmt: skip
    if not admitted:
        return
    wanted = await subscribed(session, event_id=device.event_id, types=[PASS_CHECKED_IN])
    if not wanted:
        return
    known = {
        row.pass_key: row
        for row in await session.scalars(
            select(Pass).where(
                Pass.event_id == device.event_id,
                Pass.pass_key.in_([key for _, key in admitted if key is not None]),
            )
        )
    }
    found = {
        data["pass"]["id"]: data
        for data in await payloads.passes_data(session, passes=list(known.values()))
    }
    received_at = utcnow().isoformat()
    for scan, key in admitted:
        assert key is not None
        data = found.get(pass_key_text(key))
        if data is None:
            continue  # a pass this server does not know (a forged code the door admitted)
        write(
            session, endpoints=wanted[PASS_CHECKED_IN], type_=PASS_CHECKED_IN,
            data={
                **data,
                "scan": {
                    "door": str(scan.get("door", ""))[:80],
                    "scanned_at": _from_millis(scan.get("scanned_at")),
                    "received_at": received_at,
                    "device": {"id": str(device.id), "name": device.name},
                },
            },
        )  # fmt: skip
