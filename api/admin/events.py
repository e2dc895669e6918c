"""Dashboard events and ticket tiers: the forms to create, edit, publish and unpublish them and to
upload the event's image. The operations and their rules are `api.events.editing`'s.

Everyone who may see an organizer sees its events on /admin; only owners and managers (and the
operator) may change them (the `money_handlers` guard), so a door lead gets a 403 here. Another
organizer's event or tier is a 404 for reads and writes alike, before any role check, so ids
never tell whether something exists. Forms that cannot be saved come back with status 400 and
every reason in the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import currencies
from api.admin.access import Who, money_handlers, sales_organizers
from api.admin.deps import ThisEvent, ThisTier
from api.admin.event_forms import local_input, price_input, read_event, read_tier, zone_names
from api.db import Event, Organizer, TicketTier
from api.errors import Invalid
from api.events import currency as event_currency
from api.events import editing
from api.media.uploads import UPLOAD_LIMIT, UploadForm, read_upload
from api.settings import Settings
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE

Form = URLEncodedBody[dict[str, str]]


class EventAdmin(Controller):
    """Owners and managers (and the operator) only: a door lead gets a 403 here."""

    path = "/events"
    guards = [money_handlers]

    @get("/new")
    async def new_event(self, db: DB, who: Who, settings: AppSettings) -> Template:
        organizers = await sales_organizers(db, who)
        return await _new_page(db, settings, organizers, {}, [])

    @post("/new", status_code=303)
    async def create_event(
        self, db: DB, who: Who, settings: AppSettings, data: Form
    ) -> Template | Redirect:
        organizers = await sales_organizers(db, who)
        try:
            event = await editing.create_event(
                db, organizer_id=_chosen(organizers, data).id, fields=read_event(data),
                actor=who.who, secret_key=settings.secret_key, settings=settings,
            )  # fmt: skip
        except Invalid as exc:
            await db.rollback()
            organizers = await sales_organizers(db, who)
            return await _new_page(db, settings, organizers, data, exc.messages)
        return _to_event(event)

    @get("/{event_id:uuid}")
    async def edit_event(self, db: DB, settings: AppSettings, event: ThisEvent) -> Template:
        return await _edit_page(db, event, _event_form(event), [], settings)

    @post("/{event_id:uuid}", status_code=303)
    async def save_event(
        self, db: DB, who: Who, settings: AppSettings, event: ThisEvent, data: Form
    ) -> Template | Redirect:
        try:
            await editing.update_event(
                db, event=event, fields=read_event(data), settings=settings, actor=who.who
            )
        except Invalid as exc:
            await db.rollback()
            await db.refresh(event)  # as stored: the refused save changed nothing
            return await _edit_page(db, event, data, exc.messages, settings)
        return Redirect(path=f"/admin/events/{event.id}?saved=1", status_code=303)

    @post("/{event_id:uuid}/publish", status_code=303)
    async def publish(self, db: DB, who: Who, event: ThisEvent) -> Redirect:
        await editing.set_published(db, event=event, published=True, actor=who.who)
        return _to_event(event)

    @post("/{event_id:uuid}/unpublish", status_code=303)
    async def unpublish(self, db: DB, who: Who, event: ThisEvent) -> Redirect:
        await editing.set_published(db, event=event, published=False, actor=who.who)
        return _to_event(event)

    @post("/{event_id:uuid}/image", status_code=303, request_max_body_size=UPLOAD_LIMIT)
    async def upload_image(
        self, db: DB, who: Who, settings: AppSettings, event: ThisEvent, data: UploadForm
    ) -> Template | Redirect:
        try:
            raw = await read_upload(data, "image", missing="Choose an image file to upload.")
            await editing.replace_image(db, event=event, raw=raw, settings=settings, actor=who.who)
        except Invalid as exc:
            return await _edit_page(db, event, _event_form(event), exc.messages, settings)
        return _to_event(event)

    @get("/{event_id:uuid}/tiers/new")
    async def new_tier(self, event: ThisEvent) -> Template:
        form = {"max_per_order": "10", "price": "0"}
        return _tier_page(event, None, form, [])

    @post("/{event_id:uuid}/tiers/new", status_code=303)
    async def create_tier(
        self, db: DB, who: Who, settings: AppSettings, event: ThisEvent, data: Form
    ) -> Template | Redirect:
        try:
            await editing.create_tier(
                db, event=event, settings=settings, actor=who.who,
                fields=read_tier(data, zone=event.timezone, currency=event.currency),
            )  # fmt: skip
        except Invalid as exc:
            return _tier_page(event, None, data, exc.messages)
        return _to_event(event)

    @get("/{event_id:uuid}/tiers/{tier_id:uuid}")
    async def edit_tier(self, event: ThisEvent, tier: ThisTier) -> Template:
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
        try:
            await editing.update_tier(
                db, event=event, tier=tier, settings=settings, actor=who.who,
                fields=read_tier(data, zone=event.timezone, currency=event.currency),
            )  # fmt: skip
        except Invalid as exc:
            return _tier_page(event, tier, data, exc.messages)
        return _to_event(event)


def _chosen(organizers: list[Organizer], data: Mapping[str, str]) -> Organizer:
    """The organizer picked on the form (the only one, when there is one)."""
    if len(organizers) == 1:
        return organizers[0]
    for organizer in organizers:
        if str(organizer.id) == data.get("organizer_id", ""):
            return organizer
    raise Invalid("Pick the organizer this event belongs to.")


def _to_event(event: Event) -> Redirect:
    return Redirect(path=f"/admin/events/{event.id}", status_code=303)


def _event_form(event: Event) -> dict[str, str]:
    return {
        "name": event.name, "slug": event.slug, "description": event.description,
        "venue": event.venue, "timezone": event.timezone, "currency": event.currency,
        "language": event.default_language,
        "starts_at": local_input(event.starts_at, event.timezone),
        "ends_at": local_input(event.ends_at, event.timezone),
    }  # fmt: skip


def _tier_form(tier: TicketTier, zone: str) -> dict[str, str]:
    return {
        "name": tier.name, "description": tier.description,
        "price": price_input(tier.price_minor, tier.currency), "capacity": str(tier.capacity),
        "max_per_order": str(tier.max_per_order),
        "sales_start": local_input(tier.sales_start, zone),
        "sales_end": local_input(tier.sales_end, zone),
    }  # fmt: skip


def _form_page(template: str, context: dict[str, Any], errors: list[str]) -> Template:
    """A form page: 400 with every reason when what was sent could not be saved."""
    return Template(
        template_name=template,
        context={**context, "errors": errors},
        status_code=400 if errors else 200,
        headers=NO_STORE,
    )


async def _new_page(
    db: AsyncSession, settings: Settings, organizers: list[Organizer], form: Any,
    errors: list[str],
) -> Template:  # fmt: skip
    """One organizer: the currencies its Stripe account settles in (with a fee), its default
    first; several: every currency with a fee (the chosen one's account is checked on save)."""
    account = organizers[0].stripe_currencies if len(organizers) == 1 else []
    choices = event_currency.offered(settings.fees, account)
    form = {"currency": event_currency.default_for(settings.fees, account), **form}
    context = {"organizers": organizers, "form": form, "zones": zone_names(),
               "currencies": choices}  # fmt: skip
    return _form_page("admin/event_new.html", context, errors)


async def _edit_page(
    db: AsyncSession, event: Event, form: Any, errors: list[str], settings: Settings
) -> Template:
    tiers = list(
        await db.scalars(
            select(TicketTier).where(TicketTier.event_id == event.id).order_by(TicketTier.position)
        )
    )
    account = await event_currency.account_currencies(db, event.organizer_id)
    choices = event_currency.offered(settings.fees, account)
    if event.currency not in choices:
        choices = [event.currency, *choices]
    context = {"event": event, "tiers": tiers, "form": form, "zones": zone_names(),
               "currencies": choices}  # fmt: skip
    return _form_page("admin/event_edit.html", context, errors)


def _tier_page(event: Event, tier: TicketTier | None, form: Any, errors: list[str]) -> Template:
    context = {"event": event, "tier": tier, "form": form,
               "price_places": currencies.typed_places(event.currency)}  # fmt: skip
    return _form_page("admin/tier_form.html", context, errors)
