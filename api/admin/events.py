"""Dashboard events and ticket tiers: create, edit, publish and unpublish, upload the image.

Everyone who may see an organizer sees its events on /admin; only owners and managers (and the
operator) may change them: the same people who may handle its money (`Viewer.may_handle_money`),
so a door lead gets a 403 here. Another organizer's event or tier is a 404 for reads and writes
alike, before any role check, so ids never tell whether something exists.

Forms that cannot be saved come back with status 400 and every reason in the page. A tier's
capacity is checked against sold and held tickets with the tier row locked, so a checkout cannot
take a hold between the check and the save (and the database's `never_oversold` check stays the
last word). Publishing, unpublishing and tier price and capacity changes are written to the
audit log. The public event page caches for a second (`api.events.cache`), so a change shows
there within a second.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.admin.access import Viewer, Who, money_handlers, sales_organizers
from api.admin.deps import ThisEvent, ThisTier
from api.admin.event_forms import (
    EventFields,
    TierFields,
    local_input,
    price_input,
    read_event,
    read_tier,
    zone_names,
)
from api.db import Event, Organizer, TicketTier
from api.errors import Invalid
from api.events.tiers import check_tier
from api.media.images import MAX_BYTES, ImageError, store_image
from api.passes import keys
from api.settings import Settings
from api.web.deps import DB, AppSettings

Form = URLEncodedBody[dict[str, str]]
ImageForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
NO_STORE = {"Cache-Control": "no-store"}


def _event_form(event: Event) -> dict[str, str]:
    return {
        "name": event.name, "slug": event.slug, "description": event.description,
        "venue": event.venue, "timezone": event.timezone,
        "starts_at": local_input(event.starts_at, event.timezone),
        "ends_at": local_input(event.ends_at, event.timezone),
    }  # fmt: skip


def _tier_form(tier: TicketTier, zone: str) -> dict[str, str]:
    return {
        "name": tier.name, "description": tier.description, "currency": tier.currency,
        "price": price_input(tier.price_minor, tier.currency), "capacity": str(tier.capacity),
        "max_per_order": str(tier.max_per_order),
        "sales_start": local_input(tier.sales_start, zone),
        "sales_end": local_input(tier.sales_end, zone),
    }  # fmt: skip


def _apply_event(event: Event, fields: EventFields) -> None:
    event.name, event.slug, event.description = fields.name, fields.slug, fields.description
    event.venue, event.timezone = fields.venue, fields.timezone
    event.starts_at, event.ends_at = fields.starts_at, fields.ends_at


def _apply_tier(tier: TicketTier, fields: TierFields) -> None:
    tier.name, tier.description, tier.currency = fields.name, fields.description, fields.currency
    tier.price_minor, tier.capacity, tier.max_per_order = (
        fields.price_minor, fields.capacity, fields.max_per_order,
    )  # fmt: skip
    tier.sales_start, tier.sales_end = fields.sales_start, fields.sales_end


async def _slug_taken(db: AsyncSession, slug: str, *, other_than: uuid.UUID | None) -> bool:
    query = select(Event.id).where(Event.slug == slug)
    if other_than is not None:
        query = query.where(Event.id != other_than)
    return await db.scalar(query) is not None


def _tier_rules(fields: TierFields, *, settings: Settings, tier: TicketTier | None) -> None:
    """The currency, platform-fee and sold-ticket rules, then held tickets, then a change of
    currency."""
    sold, held = (tier.sold, tier.held) if tier is not None else (0, 0)
    # TierError is an Invalid: the form shows it like its own problems.
    check_tier(
        name=fields.name, price_minor=fields.price_minor, capacity=fields.capacity,
        currency=fields.currency, fee_minor=settings.platform_fee_cents,
        platform_currency=settings.platform_currency, sold=sold,
    )  # fmt: skip
    if fields.capacity < sold + held:
        raise Invalid(
            f"Capacity cannot be below the {sold + held} tickets already taken"
            f" ({sold} sold, {held} held in checkouts right now)."
        )
    if tier is not None and sold + held and fields.currency != tier.currency:
        raise Invalid("The currency cannot change once tickets are sold or held.")


def _audit(db: AsyncSession, who: Viewer, event: Event, action: str, **details: Any) -> None:
    audit.record(db, organizer_id=event.organizer_id, actor=who.who, action=action,
                 target=str(event.id), details=details)  # fmt: skip


class EventAdmin(Controller):
    """Owners and managers (and the operator) only: a door lead gets a 403 here."""

    path = "/events"
    guards = [money_handlers]

    @get("/new")
    async def new_event(self, db: DB, who: Who) -> Template:
        organizers = await sales_organizers(db, who)
        return _new_page(organizers, {}, [])

    @post("/new", status_code=303)
    async def create_event(
        self, db: DB, who: Who, settings: AppSettings, data: Form
    ) -> Template | Redirect:
        organizers = await sales_organizers(db, who)
        chosen = [o for o in organizers if str(o.id) == data.get("organizer_id", "")]
        if len(organizers) == 1:
            chosen = organizers
        try:
            if not chosen:
                raise Invalid("Pick the organizer this event belongs to.")
            fields = read_event(data)
            if await _slug_taken(db, fields.slug, other_than=None):
                raise Invalid(f"The address /e/{fields.slug} is taken; pick another.")
            event = Event(organizer_id=chosen[0].id, published=False)
            _apply_event(event, fields)
            db.add(event)
            await _flush_slug(db, fields.slug)
        except Invalid as exc:
            return _new_page(organizers, data, exc.messages)
        # The signing key is made with the event, so its first buyers never race to make one.
        await keys.active_key(db, event_id=event.id, secret_key=settings.secret_key)
        _audit(db, who, event, "event.created", slug=event.slug)
        await db.commit()
        return Redirect(path=f"/admin/events/{event.id}", status_code=303)

    @get("/{event_id:uuid}")
    async def edit_event(self, db: DB, who: Who, event: ThisEvent) -> Template:
        return await _edit_page(db, event, _event_form(event), [])

    @post("/{event_id:uuid}", status_code=303)
    async def save_event(
        self, db: DB, who: Who, event: ThisEvent, data: Form
    ) -> Template | Redirect:
        try:
            fields = read_event(data)
            if await _slug_taken(db, fields.slug, other_than=event.id):
                raise Invalid(f"The address /e/{fields.slug} is taken; pick another.")
            _apply_event(event, fields)
            await _flush_slug(db, fields.slug)
        except Invalid as exc:
            await db.refresh(event)  # the failed save's changes are undone
            return await _edit_page(db, event, data, exc.messages)
        await db.commit()
        return Redirect(path=f"/admin/events/{event.id}?saved=1", status_code=303)

    @post("/{event_id:uuid}/publish", status_code=303)
    async def publish(self, db: DB, who: Who, event: ThisEvent) -> Redirect:
        return await _set_published(db, who, event, published=True)

    @post("/{event_id:uuid}/unpublish", status_code=303)
    async def unpublish(self, db: DB, who: Who, event: ThisEvent) -> Redirect:
        return await _set_published(db, who, event, published=False)

    @post("/{event_id:uuid}/image", status_code=303, request_max_body_size=MAX_BYTES + 64 * 1024)
    async def upload_image(
        self,
        db: DB,
        who: Who,
        settings: AppSettings,
        event: ThisEvent,
        data: ImageForm,
    ) -> Template | Redirect:
        upload = data.get("image")
        try:
            if not isinstance(upload, UploadFile):
                raise ImageError("Choose an image file to upload.")
            name = store_image(await upload.read(MAX_BYTES + 1), data_dir=settings.data_dir)
        except ImageError as exc:
            return await _edit_page(db, event, _event_form(event), [str(exc)])
        event.image_path = name
        _audit(db, who, event, "event.image_uploaded", image=name)
        await db.commit()
        return Redirect(path=f"/admin/events/{event.id}", status_code=303)

    @get("/{event_id:uuid}/tiers/new")
    async def new_tier(
        self,
        db: DB,
        who: Who,
        settings: AppSettings,
        event: ThisEvent,
    ) -> Template:
        form = {"currency": settings.platform_currency, "max_per_order": "10", "price": "0"}
        return _tier_page(event, None, form, [])

    @post("/{event_id:uuid}/tiers/new", status_code=303)
    async def create_tier(
        self,
        db: DB,
        who: Who,
        settings: AppSettings,
        event: ThisEvent,
        data: Form,
    ) -> Template | Redirect:
        try:
            fields = read_tier(data, zone=event.timezone)
            _tier_rules(fields, settings=settings, tier=None)
            await _name_free(db, event, fields.name, other_than=None)
        except Invalid as exc:
            return _tier_page(event, None, data, exc.messages)
        last = await db.scalar(
            select(func.max(TicketTier.position)).where(TicketTier.event_id == event.id)
        )
        tier = TicketTier(event_id=event.id, position=(last or 0) + 1, sold=0, held=0)
        _apply_tier(tier, fields)
        db.add(tier)
        await db.flush()
        _audit(db, who, event, "tier.created", tier=tier.name, price_minor=tier.price_minor,
               currency=tier.currency, capacity=tier.capacity)  # fmt: skip
        await db.commit()
        return Redirect(path=f"/admin/events/{event.id}", status_code=303)

    @get("/{event_id:uuid}/tiers/{tier_id:uuid}")
    async def edit_tier(
        self,
        db: DB,
        who: Who,
        event: ThisEvent,
        tier: ThisTier,
    ) -> Template:
        return _tier_page(event, tier, _tier_form(tier, event.timezone), [])

    @post("/{event_id:uuid}/tiers/{tier_id:uuid}", status_code=303)
    async def save_tier(
        self,
        db: DB,
        who: Who,
        settings: AppSettings,
        event: ThisEvent,
        tier: ThisTier,
        data: Form,
    ) -> Template | Redirect:
        await db.refresh(tier, with_for_update=True)  # a checkout waits until this is saved
        try:
            fields = read_tier(data, zone=event.timezone)
            _tier_rules(fields, settings=settings, tier=tier)
            await _name_free(db, event, fields.name, other_than=tier.id)
        except Invalid as exc:
            return _tier_page(event, tier, data, exc.messages)
        before = (tier.price_minor, tier.capacity)
        _apply_tier(tier, fields)
        if tier.price_minor != before[0]:
            _audit(db, who, event, "tier.price_changed", tier=tier.name, currency=tier.currency,
                   before=before[0], after=tier.price_minor)  # fmt: skip
        if tier.capacity != before[1]:
            _audit(db, who, event, "tier.capacity_changed", tier=tier.name,
                   before=before[1], after=tier.capacity)  # fmt: skip
        await db.commit()
        return Redirect(path=f"/admin/events/{event.id}", status_code=303)


async def _flush_slug(db: AsyncSession, slug: str) -> None:
    """Write the event; a slug taken by a concurrent save after our check is refused too."""
    try:
        await db.flush()
    except IntegrityError as exc:
        await db.rollback()
        raise Invalid(f"The address /e/{slug} is taken; pick another.") from exc


async def _name_free(
    db: AsyncSession, event: Event, name: str, *, other_than: uuid.UUID | None
) -> None:
    query = select(TicketTier.id).where(TicketTier.event_id == event.id, TicketTier.name == name)
    if other_than is not None:
        query = query.where(TicketTier.id != other_than)
    if await db.scalar(query) is not None:
        raise Invalid(f"This event already has a tier called “{name}”.")


async def _set_published(
    db: AsyncSession, who: Viewer, event: Event, *, published: bool
) -> Redirect:
    await db.refresh(event, with_for_update=True)
    if event.published != published:
        event.published = published
        _audit(db, who, event, "event.published" if published else "event.unpublished",
               slug=event.slug)  # fmt: skip
        await db.commit()
    return Redirect(path=f"/admin/events/{event.id}", status_code=303)


def _new_page(organizers: list[Organizer], form: Any, errors: list[str]) -> Template:
    return Template(
        template_name="admin/event_new.html",
        context={"organizers": organizers, "form": form, "errors": errors, "zones": zone_names()},
        status_code=400 if errors else 200,
        headers=NO_STORE,
    )


async def _edit_page(db: AsyncSession, event: Event, form: Any, errors: list[str]) -> Template:
    tiers = list(
        await db.scalars(
            select(TicketTier).where(TicketTier.event_id == event.id).order_by(TicketTier.position)
        )
    )
    context = {"event": event, "tiers": tiers, "form": form, "errors": errors}
    return Template(
        template_name="admin/event_edit.html",
        context={**context, "zones": zone_names()},
        status_code=400 if errors else 200,
        headers=NO_STORE,
    )


def _tier_page(event: Event, tier: TicketTier | None, form: Any, errors: list[str]) -> Template:
    return Template(
        template_name="admin/tier_form.html",
        context={"event": event, "tier": tier, "form": form, "errors": errors},
        status_code=400 if errors else 200,
        headers=NO_STORE,
    )
