"""What each event's `data` says. Ids are the organizer API's (api/organizer_api/wire.py): an
order's UUID (and its `reference`, as buyers read it), a pass's 18-character key
(`pass_key_text`), tier and event UUIDs; never the buyer's passes link (`public_id`), a bearer
capability that the API gives only to keys with the `orders` scope. Money in minor units with its
currency; times in UTC, ISO 8601.

    order.paid       {"order": ORDER}
    order.refunded   {"order": ORDER, "refunded_minor": total refunded so far, "full": bool}
    pass.voided      {"pass": PASS, "reason": why}
    pass.checked_in  {"pass": PASS, "scan": {"door", "scanned_at", "received_at", "device"}}
    event.sold_out   {"event": EVENT, "tier": {"id", "name", "capacity", "sold"},
                      "all_tiers_sold_out": bool}
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Order, Pass, TicketTier
from api.passes.tokens import pass_key_text

Data = dict[str, Any]


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def event_data(event: Event) -> Data:
    return {
        "id": str(event.id), "slug": event.slug, "name": event.name,
        "starts_at": _time(event.starts_at),
    }  # fmt: skip


def pass_data(item: Pass, order: Order, tier: TicketTier) -> Data:
    return {
        "id": pass_key_text(item.pass_key), "order": str(order.id), "event": str(item.event_id),
        "tier": {"id": str(tier.id), "name": tier.name}, "status": str(item.status),
    }  # fmt: skip


async def order_data(session: AsyncSession, *, order_id: uuid.UUID) -> Data:
    order = await session.get_one(Order, order_id)
    event = await session.get_one(Event, order.event_id)
    rows = await session.execute(
        select(Pass, TicketTier)
        .join(TicketTier, TicketTier.id == Pass.tier_id)
        .where(Pass.order_id == order_id)
        .order_by(Pass.change_seq)
    )
    return {
        "id": str(order.id),
        "reference": order.reference,
        "event": event_data(event),
        "status": str(order.status),
        "buyer": {"email": order.buyer_email, "name": order.buyer_name},
        "currency": order.currency,
        "total_minor": order.total_minor,
        "refunded_minor": order.refunded_minor,
        "source_site": order.source_site,
        "created_at": _time(order.created_at),
        "paid_at": _time(order.paid_at),
        "passes": [pass_data(item, order, tier) for item, tier in rows],
    }


async def passes_data(session: AsyncSession, *, passes: Sequence[Pass]) -> list[Data]:
    rows = await session.execute(
        select(Pass, Order, TicketTier)
        .join(Order, Order.id == Pass.order_id)
        .join(TicketTier, TicketTier.id == Pass.tier_id)
        .where(Pass.id.in_([p.id for p in passes]))
        .order_by(Pass.change_seq)
    )
    return [{"pass": pass_data(item, order, tier)} for item, order, tier in rows]


async def sold_out_tiers(
    session: AsyncSession, *, event_id: uuid.UUID, tier_ids: Sequence[uuid.UUID]
) -> list[Data]:
    """An `event.sold_out` item for each of `tier_ids` with every seat sold."""
    full = list(
        await session.scalars(
            select(TicketTier).where(
                TicketTier.id.in_(list(tier_ids)), TicketTier.sold >= TicketTier.capacity
            )
        )
    )
    if not full:
        return []
    event = await session.get_one(Event, event_id)
    left = await session.scalar(
        select(func.count())
        .select_from(TicketTier)
        .where(TicketTier.event_id == event_id, TicketTier.sold < TicketTier.capacity)
    )
    return [
        {
            "event": event_data(event),
            "tier": {"id": str(t.id), "name": t.name, "capacity": t.capacity, "sold": t.sold},
            "all_tiers_sold_out": not left,
        }
        for t in full
    ]
