"""The organizer's operations on events and tiers: create, change, publish, the event's image.

Fields arrive checked one by one (the dashboard reads its forms in `api.admin.event_forms`); the
rules here are those that need the database or the settings: a slug or a tier name already
taken, the currency and platform-fee rules (`api.events.currency`, `api.events.tiers.check_tier`),
and a capacity below
the tickets sold and held. A tier's row is locked while it is checked and saved, so a checkout
cannot take a hold between the check and the save (the database's `never_oversold` check stays
the last word). Each refusal is an `Invalid` naming every reason; each operation commits, with its
audit entries (publishing, unpublishing, tier price and capacity changes, a new event or tier,
an image). The public event page caches for a second (`api.events.cache`), so a change shows
there within a second.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.checkin import door_lists
from api.db import Event, TicketTier
from api.errors import Invalid
from api.events import currency as event_currency
from api.events.tiers import check_tier
from api.media.images import store_image
from api.passes import keys
from api.settings import Settings
from api.waiting.offers import seats_freed

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
"""A public address (`/e/{slug}`, `/o/{slug}`): what the database's slug checks allow."""


@dataclass(frozen=True)
class EventFields:
    name: str
    slug: str
    description: str
    venue: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    currency: str = ""
    """What every tier sells in; "" keeps the event's (a new event: the organizer's default)."""
    language: str = ""
    """Its pages' language for browsers that ask for none POCtix has (api/i18n/); "" keeps it."""


@dataclass(frozen=True)
class TierFields:
    name: str
    description: str
    price_minor: int
    currency: str
    capacity: int
    sales_start: datetime | None
    sales_end: datetime | None
    max_per_order: int


async def create_event(
    db: AsyncSession,
    *,
    organizer_id: uuid.UUID,
    fields: EventFields,
    actor: str,
    secret_key: str,
    settings: Settings | None = None,
) -> Event:
    """A new, unpublished event, with its signing key made at once (so its first buyers never
    race to make one). With `settings`, its currency is checked against the fees and the
    organizer's Stripe account (`api.events.currency`)."""
    await _refuse_taken_slug(db, fields.slug, other_than=None)
    event = Event(organizer_id=organizer_id, published=False)
    if settings is not None:
        account = await event_currency.account_currencies(db, organizer_id)
        code = fields.currency or event_currency.default_for(settings.fees, account)
        event_currency.check(code, fees=settings.fees, account=account)
        event.currency = code
    elif fields.currency:
        event.currency = fields.currency
    _apply_event(event, fields)
    db.add(event)
    await _flush_slug(db, fields.slug)
    await keys.active_key(db, event_id=event.id, secret_key=secret_key)
    _audit(db, actor, event, "event.created", slug=event.slug)
    await db.commit()
    return event


async def update_event(
    db: AsyncSession,
    *,
    event: Event,
    fields: EventFields,
    settings: Settings | None = None,
    actor: str = "",
) -> None:
    """Save the event's fields; a new currency (with `settings`) moves its tiers too, audited."""
    await _refuse_taken_slug(db, fields.slug, other_than=event.id)
    if fields.currency and fields.currency != event.currency:
        if settings is None:
            raise Invalid("The currency can only be changed from the event's page.")
        account = await event_currency.account_currencies(db, event.organizer_id)
        event_currency.check(fields.currency, fees=settings.fees, account=account)
        before = event.currency
        await event_currency.change(db, event=event, currency=fields.currency, fees=settings.fees)
        _audit(db, actor or "dashboard", event, "event.currency_changed", before=before,
               after=event.currency)  # fmt: skip
    _apply_event(event, fields)
    await _flush_slug(db, fields.slug)
    await db.commit()


async def set_published(db: AsyncSession, *, event: Event, published: bool, actor: str) -> None:
    await db.refresh(event, with_for_update=True)
    if event.published == published:
        return
    event.published = published
    _audit(db, actor, event, "event.published" if published else "event.unpublished",
           slug=event.slug)  # fmt: skip
    await db.commit()


async def replace_image(
    db: AsyncSession, *, event: Event, raw: bytes, settings: Settings, actor: str
) -> str:
    """Check and re-encode the upload as every image is (`api.media.images`), then show it."""
    event.image_path = store_image(raw, data_dir=settings.data_dir)
    _audit(db, actor, event, "event.image_uploaded", image=event.image_path)
    await db.commit()
    return event.image_path


async def create_tier(
    db: AsyncSession, *, event: Event, fields: TierFields, settings: Settings, actor: str
) -> TicketTier:
    fields = dataclasses.replace(fields, currency=event.currency)  # the event's, always
    _tier_rules(fields, settings=settings, tier=None)
    await _refuse_taken_name(db, event, fields.name, other_than=None)
    last = await db.scalar(
        select(func.max(TicketTier.position)).where(TicketTier.event_id == event.id)
    )
    tier = TicketTier(event_id=event.id, position=(last or 0) + 1, sold=0, held=0)
    _apply_tier(tier, fields)
    db.add(tier)
    await db.flush()
    _audit(db, actor, event, "tier.created", tier=tier.name, price_minor=tier.price_minor,
           currency=tier.currency, capacity=tier.capacity)  # fmt: skip
    await db.commit()
    return tier


async def update_tier(
    db: AsyncSession,
    *,
    event: Event,
    tier: TicketTier,
    fields: TierFields,
    settings: Settings,
    actor: str,
) -> None:
    await db.refresh(tier, with_for_update=True)  # a checkout's hold waits until this is saved
    fields = dataclasses.replace(fields, currency=event.currency)  # the event's, always
    _tier_rules(fields, settings=settings, tier=tier)
    await _refuse_taken_name(db, event, fields.name, other_than=tier.id)
    before = (tier.price_minor, tier.capacity)
    renamed = tier.name != fields.name
    _apply_tier(tier, fields)
    if renamed:  # door lists name tiers: phones hear the new name at their next pull
        await door_lists.tier_renamed(db, tier=tier)
    if tier.price_minor != before[0]:
        _audit(db, actor, event, "tier.price_changed", tier=tier.name, currency=tier.currency,
               before=before[0], after=tier.price_minor)  # fmt: skip
    if tier.capacity != before[1]:
        _audit(db, actor, event, "tier.capacity_changed", tier=tier.name,
               before=before[1], after=tier.capacity)  # fmt: skip
    if tier.capacity > before[1]:  # new seats: the waiting list is offered them first
        await db.flush()
        await seats_freed(db, tier_id=tier.id)
    await db.commit()


def _apply_event(event: Event, fields: EventFields) -> None:
    event.name, event.slug, event.description = fields.name, fields.slug, fields.description
    event.venue, event.timezone = fields.venue, fields.timezone
    event.starts_at, event.ends_at = fields.starts_at, fields.ends_at
    if fields.language:
        event.default_language = fields.language


def _apply_tier(tier: TicketTier, fields: TierFields) -> None:
    tier.name, tier.description, tier.currency = fields.name, fields.description, fields.currency
    tier.price_minor, tier.capacity, tier.max_per_order = (
        fields.price_minor, fields.capacity, fields.max_per_order,
    )  # fmt: skip
    tier.sales_start, tier.sales_end = fields.sales_start, fields.sales_end


def _slug_taken(slug: str) -> Invalid:
    return Invalid(f"The address /e/{slug} is taken; pick another.")


async def _refuse_taken_slug(db: AsyncSession, slug: str, *, other_than: uuid.UUID | None) -> None:
    query = select(Event.id).where(Event.slug == slug)
    if other_than is not None:
        query = query.where(Event.id != other_than)
    if await db.scalar(query) is not None:
        raise _slug_taken(slug)


async def _flush_slug(db: AsyncSession, slug: str) -> None:
    """Write the event; a slug taken by a concurrent save after our check is refused too."""
    try:
        await db.flush()
    except IntegrityError as exc:
        await db.rollback()
        raise _slug_taken(slug) from exc


async def _refuse_taken_name(
    db: AsyncSession, event: Event, name: str, *, other_than: uuid.UUID | None
) -> None:
    query = select(TicketTier.id).where(TicketTier.event_id == event.id, TicketTier.name == name)
    if other_than is not None:
        query = query.where(TicketTier.id != other_than)
    if await db.scalar(query) is not None:
        raise Invalid(f"This event already has a tier called “{name}”.")


def _tier_rules(fields: TierFields, *, settings: Settings, tier: TicketTier | None) -> None:
    """The currency, platform-fee and sold-ticket rules, then held tickets, then a change of
    currency."""
    sold, held = (tier.sold, tier.held) if tier is not None else (0, 0)
    check_tier(
        name=fields.name, price_minor=fields.price_minor, capacity=fields.capacity,
        currency=fields.currency, fees=settings.fees, sold=sold,
    )  # fmt: skip
    if fields.capacity < sold + held:
        raise Invalid(
            f"Capacity cannot be below the {sold + held} tickets already taken"
            f" ({sold} sold, {held} held in checkouts right now)."
        )
    if tier is not None and sold + held and fields.currency != tier.currency:
        raise Invalid("The currency cannot change once tickets are sold or held.")


def _audit(db: AsyncSession, actor: str, event: Event, action: str, **details: Any) -> None:
    audit.record(db, organizer_id=event.organizer_id, actor=actor, action=action,
                 target=str(event.id), details=details)  # fmt: skip
