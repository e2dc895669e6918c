"""The organizer API's reads: one organizer's events, tiers, orders, passes and check-ins, a page
at a time (`api.organizer_api.cursor`), as the Structs of `api.organizer_api.wire`. The door
figures are the live door view's own (`api.admin.live.live_figures`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api.db import Attendee, Event, Order, OrderLine, Pass, Scan, TicketTier
from api.organizer_api import cursor, wire
from api.passes.tokens import pass_key_text


def tier_out(tier: TicketTier) -> wire.Tier:
    return wire.Tier(
        id=tier.id, name=tier.name, price_minor=tier.price_minor, currency=tier.currency,
        capacity=tier.capacity, sold=tier.sold, held=tier.held,
        available=max(0, tier.capacity - tier.sold - tier.held), sales_start=tier.sales_start,
        sales_end=tier.sales_end, max_per_order=tier.max_per_order, hidden=tier.hidden,
    )  # fmt: skip


def event_out(event: Event, *, base_url: str, tiers: Sequence[TicketTier] = ()) -> wire.Event:
    return wire.Event(
        id=event.id, slug=event.slug, name=event.name, venue=event.venue,
        starts_at=event.starts_at, ends_at=event.ends_at, timezone=event.timezone,
        currency=event.currency, published=event.published, cancelled_at=event.cancelled_at,
        url=f"{base_url.rstrip('/')}/e/{event.slug}", tiers=[tier_out(t) for t in tiers],
    )  # fmt: skip


async def events(
    db: AsyncSession, *, organizer_id: uuid.UUID, base_url: str, after: str | None, limit: int
) -> wire.EventPage:
    query = select(Event).where(Event.organizer_id == organizer_id)
    shown, next_cursor = await cursor.page(db, query, Event.id, cursor=after, limit=limit)
    return wire.EventPage(items=[event_out(e, base_url=base_url) for e in shown], next=next_cursor)


async def event_tiers(db: AsyncSession, *, event_id: uuid.UUID) -> list[TicketTier]:
    return list(
        await db.scalars(
            select(TicketTier)
            .where(TicketTier.event_id == event_id)
            .order_by(TicketTier.position, TicketTier.name)
        )
    )


async def tiers(
    db: AsyncSession, *, event_id: uuid.UUID, after: str | None, limit: int
) -> wire.TierPage:
    query = select(TicketTier).where(TicketTier.event_id == event_id)
    shown, next_cursor = await cursor.page(db, query, TicketTier.id, cursor=after, limit=limit)
    return wire.TierPage(items=[tier_out(t) for t in shown], next=next_cursor)


def order_out(
    order: Order, passes: list[wire.PassOut] | None = None, *, passes_base: str | None = None
) -> wire.Order:
    """`passes_base`: the site's address for a key that may see the buyer's passes link (the
    `orders` scope), else None: the link is a bearer capability (wire.Order.passes_url)."""
    passes_url = f"{passes_base.rstrip('/')}/passes/{order.public_id}" if passes_base else None
    return wire.Order(
        id=order.id, reference=order.reference, event_id=order.event_id,
        status=order.status, buyer_email=order.buyer_email, buyer_name=order.buyer_name,
        currency=order.currency, total_minor=order.total_minor,
        refunded_minor=order.refunded_minor, fee_minor=order.fee_minor,
        discount_minor=order.discount_minor, source=order.source,
        source_site=order.source_site, created_at=order.created_at, paid_at=order.paid_at,
        lines=[
            wire.OrderLine(tier_id=line.tier_id, tier=line.tier.name, quantity=line.quantity,
                           unit_price_minor=line.unit_price_minor)
            for line in order.lines
        ],
        passes=passes, passes_url=passes_url,
    )  # fmt: skip


_WITH_LINES = selectinload(Order.lines).selectinload(OrderLine.tier)


async def orders(
    db: AsyncSession, *, event_id: uuid.UUID, status: str | None, after: str | None, limit: int,
    passes_base: str | None,
) -> wire.OrderPage:  # fmt: skip
    query = select(Order).where(Order.event_id == event_id).options(_WITH_LINES)
    if status is not None:
        query = query.where(Order.status == status)
    shown, next_cursor = await cursor.page(db, query, Order.id, cursor=after, limit=limit)
    items = [order_out(o, passes_base=passes_base) for o in shown]
    return wire.OrderPage(items=items, next=next_cursor)


async def order_detail(db: AsyncSession, *, order: Order, passes_base: str | None) -> wire.Order:
    loaded = await db.scalar(select(Order).where(Order.id == order.id).options(_WITH_LINES))
    assert loaded is not None, "the order was just found"
    rows = await db.execute(_passes_query().where(Pass.order_id == order.id).order_by(Pass.id))
    passes = [_pass_out(row) for row in rows.all()]
    return order_out(loaded, passes=passes, passes_base=passes_base)


def _passes_query() -> Select[Pass, str, uuid.UUID, str]:
    return (
        select(Pass, TicketTier.name, Order.id, Attendee.name)
        .join(TicketTier, TicketTier.id == Pass.tier_id)
        .join(Order, Order.id == Pass.order_id)
        .outerjoin(Attendee, Attendee.pass_id == Pass.id)
    )


def _pass_out(row: Any) -> wire.PassOut:
    """A row of `_passes_query`: the pass, its tier's name, its order's id, its holder."""
    item, tier, order, holder = row
    return wire.PassOut(
        id=pass_key_text(item.pass_key), order=order, tier_id=item.tier_id, tier=tier,
        status=item.status, void_reason=item.void_reason, holder_name=holder or "",
    )  # fmt: skip


async def passes(
    db: AsyncSession, *, event_id: uuid.UUID, after: str | None, limit: int
) -> wire.PassPage:
    query = _passes_query().where(Pass.event_id == event_id)
    rows = (await db.execute(cursor.page_query(query, Pass.id, cursor=after, limit=limit))).all()
    shown, next_cursor = cursor.split(rows, limit=limit, id_of=lambda r: r[0].id)
    return wire.PassPage(items=[_pass_out(row) for row in shown], next=next_cursor)


async def check_ins(
    db: AsyncSession, *, event_id: uuid.UUID, after: str | None, limit: int
) -> wire.CheckInPage:
    query = select(Scan).where(Scan.event_id == event_id)
    shown, next_cursor = await cursor.page(db, query, Scan.id, cursor=after, limit=limit)
    return wire.CheckInPage(
        items=[
            wire.CheckIn(
                id=s.id,
                pass_id=pass_key_text(s.pass_key) if s.pass_key is not None else None,
                verdict=s.verdict,
                admitted=s.admitted,
                door=s.door,
                scanned_at=s.scanned_at,
                received_at=s.received_at,
                source=str((s.extra or {}).get("source", "door")),
            )
            for s in shown
        ],
        next=next_cursor,
    )
