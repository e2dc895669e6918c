"""Small builders for test data, written straight to the database through the models."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Order, OrderLine, OrderStatus, Organizer, TicketTier, utcnow
from api.passes import keys


async def organizer(session: AsyncSession, *, name: str = "Reef Bar") -> Organizer:
    slug = f"org-{secrets.token_hex(4)}"
    item = Organizer(name=name, slug=slug, contact_email=f"{slug}@example.com")
    session.add(item)
    await session.flush()
    return item


async def event(
    session: AsyncSession,
    *,
    name: str = "Sunset Session",
    published: bool = True,
    days_ahead: int = 10,
    timezone: str = "Pacific/Honolulu",
    org: Organizer | None = None,
    secret_key: str | None = None,
) -> Event:
    """A published event; with `secret_key`, also its signing key, as the dashboard makes
    events (without, the first sale makes the key, as for an event made before keys were)."""
    owner = org or await organizer(session)
    starts = utcnow() + timedelta(days=days_ahead)
    item = Event(
        organizer_id=owner.id,
        slug=f"ev-{secrets.token_hex(4)}",
        name=name,
        venue="Pier 3",
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        timezone=timezone,
        published=published,
    )
    session.add(item)
    await session.flush()
    if secret_key is not None:
        await keys.active_key(session, event_id=item.id, secret_key=secret_key)
    return item


async def tier(
    session: AsyncSession,
    *,
    event: Event,
    name: str = "General",
    price_minor: int = 0,
    capacity: int = 100,
) -> TicketTier:
    item = TicketTier(event_id=event.id, name=name, price_minor=price_minor, capacity=capacity)
    session.add(item)
    await session.flush()
    return item


async def paid_order(
    session: AsyncSession, *, event: Event, tier: TicketTier, quantity: int = 1
) -> Order:
    item = Order(
        public_id=secrets.token_urlsafe(16),
        event_id=event.id,
        buyer_email="buyer@example.com",
        status=OrderStatus.paid,
        total_minor=tier.price_minor * quantity,
        paid_at=utcnow(),
    )
    session.add(item)
    await session.flush()
    session.add(
        OrderLine(
            order_id=item.id, tier_id=tier.id, quantity=quantity, unit_price_minor=tier.price_minor
        )
    )
    tier.sold += quantity
    await session.flush()
    return item
