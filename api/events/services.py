"""Event queries shared by pages and the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api.db import Event, TicketTier, utcnow


class TierState(StrEnum):
    on_sale = "on_sale"
    sold_out = "sold_out"
    not_yet = "not_yet"
    ended = "ended"


def tier_state(tier: TicketTier, *, now: datetime | None = None) -> TierState:
    moment = now or utcnow()
    if tier.sales_start is not None and moment < tier.sales_start:
        return TierState.not_yet
    if tier.sales_end is not None and moment >= tier.sales_end:
        return TierState.ended
    if tier.available <= 0:
        return TierState.sold_out
    return TierState.on_sale


async def published_events(session: AsyncSession) -> Sequence[Event]:
    """Published events that have not ended, soonest first."""
    rows = await session.scalars(
        select(Event)
        .where(Event.published, Event.ends_at > utcnow())
        .options(selectinload(Event.organizer))
        .order_by(Event.starts_at)
    )
    return rows.all()


async def published_event(session: AsyncSession, *, slug: str) -> Event | None:
    return await session.scalar(
        select(Event)
        .where(Event.slug == slug, Event.published)
        .options(selectinload(Event.organizer), selectinload(Event.tiers))
    )
