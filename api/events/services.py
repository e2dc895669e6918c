"""Event queries shared by pages and the API, and when a tier is on sale.

A tier sells inside its sale window: from `sales_start` (or as soon as it is published) until
`sales_end`, and with no `sales_end` until the event starts. Nothing sells once the event is
over, whatever a tier says. The verdict depends on the clock, so it is always worked out from
the times at the moment of asking (`tier_state`), never stored: the event page's snapshot keeps
times and counts, and each request decides from them.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api.db import Event, Order, OrderLine, OrderStatus, Organizer, TicketTier, utcnow


class TierState(StrEnum):
    on_sale = "on_sale"
    sold_out = "sold_out"
    held = "held"
    """None left to buy, but some of the seats are held by unpaid checkouts and may come back."""
    not_yet = "not_yet"
    ended = "ended"


def sales_end(tier: TicketTier, event: Event) -> datetime:
    """When the tier stops selling: its own end, else the event's start; never after the event."""
    return min(tier.sales_end or event.starts_at, event.ends_at)


def tier_state(tier: TicketTier, *, event: Event, now: datetime | None = None) -> TierState:
    moment = now or utcnow()
    if moment >= sales_end(tier, event):
        return TierState.ended
    if tier.sales_start is not None and moment < tier.sales_start:
        return TierState.not_yet
    if tier.available <= 0:
        return TierState.held if tier.held > 0 else TierState.sold_out
    return TierState.on_sale


def still_selling(now: datetime) -> ColumnElement[bool]:
    """The SQL twin of "some tier may still sell" for an event: it has not ended, and it has
    not started or a tier's own sale end lies ahead. Every public list of events uses it."""
    later_tier = exists().where(TicketTier.event_id == Event.id, TicketTier.sales_end > now)
    return and_(Event.ends_at > now, or_(Event.starts_at > now, later_tier))


async def published_events(session: AsyncSession, *, organizer_id: uuid.UUID) -> Sequence[Event]:
    """One organizer's published events that may still sell, soonest first (past events leave
    every list). There is no list across organizers: no page sends a buyer to another venue."""
    rows = await session.scalars(
        select(Event)
        .where(Event.organizer_id == organizer_id, Event.published, still_selling(utcnow()))
        .options(selectinload(Event.organizer))
        .order_by(Event.starts_at)
    )
    return rows.all()


async def events_with_tiers(
    session: AsyncSession, *, organizer_ids: Collection[uuid.UUID]
) -> list[tuple[Event, list[TicketTier]]]:
    """The organizers' events, soonest first, each with its tiers in the organizer's order
    (the dashboard's event list, the orders page's filters)."""
    events = list(
        await session.scalars(
            select(Event).where(Event.organizer_id.in_(organizer_ids)).order_by(Event.starts_at)
        )
    )
    tiers = list(
        await session.scalars(
            select(TicketTier)
            .where(TicketTier.event_id.in_([e.id for e in events]))
            .order_by(TicketTier.position, TicketTier.name)
        )
    )
    return [(e, [t for t in tiers if t.event_id == e.id]) for e in events]


async def organizer_by_slug(session: AsyncSession, *, slug: str) -> Organizer | None:
    """The organizer whose public page is /o/{slug}."""
    return await session.scalar(select(Organizer).where(Organizer.slug == slug))


async def published_event(session: AsyncSession, *, slug: str) -> Event | None:
    return await session.scalar(
        select(Event)
        .where(Event.slug == slug, Event.published)
        .options(selectinload(Event.organizer), selectinload(Event.tiers))
    )


async def hold_ends(
    session: AsyncSession, *, event_id: uuid.UUID, tier_ids: list[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """Tier id → the earliest end of an unpaid checkout's hold on it (when seats may return).
    Served by the partial index of pending orders by event."""
    rows = await session.execute(
        select(OrderLine.tier_id, func.min(Order.hold_expires_at))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.event_id == event_id,
            Order.status == OrderStatus.pending,
            Order.hold_expires_at.is_not(None),
            OrderLine.tier_id.in_(tier_ids),
        )
        .group_by(OrderLine.tier_id)
    )
    return {tier_id: ends for tier_id, ends in rows if ends is not None}
