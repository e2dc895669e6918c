"""`poctix demo`: a demo organizer and event to click through, created once (idempotent)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts.services import login_url, new_login_token
from api.checkin.services import create_pairing, pairing_link
from api.db import (
    Event,
    Order,
    OrderLine,
    OrderStatus,
    Organizer,
    OrganizerMember,
    TicketTier,
    utcnow,
)
from api.passes import keys
from api.passes import services as passes

DEMO_SLUG = "full-moon"
DEMO_ZONE = "Pacific/Honolulu"
DEMO_OWNER = "owner@driftwood.example"


@dataclass(frozen=True)
class DemoLinks:
    event_url: str
    scanner_url: str
    admin_url: str
    owner_sign_in_url: str
    """A one-time link (15 minutes) that signs the demo owner in to the dashboard."""
    created: bool


async def load_demo(
    session: AsyncSession, *, base_url: str, secret_key: str, currency: str = "USD"
) -> DemoLinks:
    """The demo event (created once), priced in `currency`: the first one the platform has a fee
    for (PLATFORM_FEES)."""
    base = base_url.rstrip("/")
    event = await session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    created = event is None
    if event is None:
        event = await _create_demo(session, secret_key=secret_key, currency=currency)
    # Single use, like every link by default: each `make run` prints a fresh one.
    pairing = await create_pairing(
        session, event_id=event.id, door="Main gate", actor="poctix demo"
    )
    token = new_login_token(session, email=DEMO_OWNER)
    await session.commit()
    return DemoLinks(
        event_url=f"{base}/e/{DEMO_SLUG}",
        scanner_url=pairing_link(base, pairing.code),
        admin_url=f"{base}/admin",
        owner_sign_in_url=login_url(base, token),
        created=created,
    )


async def _create_demo(session: AsyncSession, *, secret_key: str, currency: str) -> Event:
    organizer = Organizer(
        name="Driftwood Lodge", slug="driftwood-lodge", contact_email="hello@driftwood.example"
    )
    session.add(organizer)
    await session.flush()
    session.add(OrganizerMember(organizer_id=organizer.id, email=DEMO_OWNER))
    zone = ZoneInfo(DEMO_ZONE)
    day = (utcnow().astimezone(zone) + timedelta(days=30)).date()
    starts = datetime.combine(day, time(19, 30), tzinfo=zone)
    event = Event(
        organizer_id=organizer.id,
        slug=DEMO_SLUG,
        name="Full Moon Beach Party",
        description="Fire dancers, a steel band and the full moon over the bay.",
        venue="Driftwood Lodge, North Shore beach",
        starts_at=starts,
        ends_at=starts + timedelta(hours=5),
        timezone=DEMO_ZONE,
        currency=currency,
        published=True,
    )
    session.add(event)
    await session.flush()
    await keys.active_key(session, event_id=event.id, secret_key=secret_key)  # made with it
    general = TicketTier(
        event_id=event.id,
        name="General admission",
        price_minor=0,
        currency=currency,
        capacity=200,
        position=0,
    )
    vip = TicketTier(
        event_id=event.id,
        name="VIP deck",
        description="Reserved deck with a welcome drink.",
        price_minor=2500,
        currency=currency,
        capacity=50,
        position=1,
    )
    session.add_all([general, vip])
    await session.flush()
    order = Order(
        public_id=secrets.token_urlsafe(16),
        event_id=event.id,
        buyer_email="guest@driftwood.example",
        buyer_name="Demo Guest",
        status=OrderStatus.paid,
        currency=currency,
        paid_at=utcnow(),
    )
    session.add(order)
    await session.flush()
    session.add(OrderLine(order_id=order.id, tier_id=general.id, quantity=3, unit_price_minor=0))
    general.sold += 3
    # A seeded order, not a sale: its passes without a confirmation email to a made-up guest.
    await passes.issue(
        session, order=order, lines=[(general.id, 3)], secret_key=secret_key, confirm=False
    )
    return event
