"""What each email says: an order's facts, loaded in one place and rendered by the templates in
`api/templates/mail/` into a Draft (subject, text, HTML, inline images).

Emails describe the order as it is when the message is written, not when it was queued: a pass
voided before its confirmation went out is shown void, never with a QR code.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import uuid
from dataclasses import dataclass
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from api import formatting, i18n
from api.accounts import services as accounts  # the module: it imports api.mail.addresses
from api.db import Event, Order, OrderLine
from api.events import ics
from api.i18n import jinja as i18n_jinja
from api.mail import images
from api.mail.addresses import header_text, mailbox
from api.mail.errors import AddressRefused, Undeliverable
from api.mail.message import Draft, InlineImage
from api.passes import services as passes_service
from api.settings import Settings

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "mail"


@functools.cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    formatting.register(env)
    i18n_jinja.install(env)  # `_()`: written in the order's language (`load` activates it)
    return env


def render(name: str, context: dict[str, Any]) -> str:
    return _templates().get_template(name).render(context)


@dataclass(frozen=True)
class PassView:
    number: int
    tier: str
    code: str
    token: str | None
    reason: str | None
    void_text: str | None
    """The buyer's wording for a void pass (api/passes/void_wording.json); None while valid."""
    image: InlineImage | None = None
    holder: str = ""
    """The attendee's name given for this ticket (api/checkout/attendees.py), or ""."""


@dataclass(frozen=True)
class Facts:
    order: Order
    event: Event
    passes: list[PassView]
    lines: list[dict[str, Any]]
    context: dict[str, Any]


async def load(session: AsyncSession, *, order_id: uuid.UUID, settings: Settings) -> Facts:
    order = await session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(
            joinedload(Order.event).joinedload(Event.organizer),
            selectinload(Order.lines).joinedload(OrderLine.tier),
        )
    )
    if order is None:
        raise Undeliverable(f"order {order_id} does not exist")
    i18n.activate(order.language)  # the rest of this job writes in it (outbox.deliver scopes it)
    event = order.event
    views = [
        PassView(
            number=item.number,
            tier=item.tier,
            code=item.pass_id,
            token=item.token,
            reason=item.void_reason,
            void_text=item.wording.buyer if item.wording else None,
            holder=item.holder,
        )
        for item in await passes_service.shown_passes(
            session, order=order, secret_key=settings.secret_key
        )
    ]

    def price(minor: int) -> str:
        return formatting.money(minor, order.currency) if minor else i18n.gettext("Free")

    lines = [
        {
            "tier": line.tier.name,
            "quantity": line.quantity,
            "unit_price": price(line.unit_price_minor),
            "subtotal": price(line.unit_price_minor * line.quantity),
            "free": line.unit_price_minor == 0,  # "1 x Floor: Free", not "at Free: Free"
        }
        for line in sorted(order.lines, key=lambda line: (line.tier.position, line.tier.name))
    ]
    context = {
        "order": order,
        "event": event,
        "organizer": event.organizer,
        "when": formatting.when(event.starts_at, event.timezone),
        "lines": lines,
        "total": price(order.total_minor),
        "refunded": formatting.money(order.refunded_minor, order.currency),
        "refunded_minor": order.refunded_minor,
        "passes_url": f"{settings.base_url.rstrip('/')}/passes/{order.public_id}",
        "calendar_url": ics.calendar_url(settings.base_url, event),
    }
    return Facts(order=order, event=event, passes=views, lines=lines, context=context)


def _recipient(order: Order) -> Address:
    try:
        return mailbox(order.buyer_email, name=order.buyer_name)
    except AddressRefused as exc:
        raise Undeliverable(f"the buyer's address cannot be used: {exc}") from exc


def _reply_to(facts: Facts) -> Address | None:
    organizer = facts.event.organizer
    try:
        return mailbox(organizer.contact_email, name=organizer.name)
    except AddressRefused:
        return None


def _pictures(
    facts: Facts, settings: Settings, *, with_qr: bool
) -> tuple[InlineImage | None, InlineImage | None, list[PassView]]:
    """Logo, event image and the passes with their QR images (files and PNG encoding)."""
    logo = images.media_image(
        settings.data_dir, facts.event.organizer.logo_path, cid="logo@poctix", box=images.LOGO_BOX
    )
    hero = images.media_image(
        settings.data_dir, facts.event.image_path, cid="event@poctix", box=images.EVENT_BOX
    )
    shown = []
    for view in facts.passes:
        image = None
        if with_qr and view.token:
            image = images.qr_image(view.token, cid=f"pass-{view.number}@poctix")
        shown.append(dataclasses.replace(view, image=image))
    return logo, hero, shown


async def tickets(
    session: AsyncSession, *, order_id: uuid.UUID, settings: Settings, resend: bool = False
) -> Draft:
    """The confirmation (and its resend): every detail of the event and one QR per pass."""
    facts = await load(session, order_id=order_id, settings=settings)
    to = _recipient(facts.order)
    logo, hero, shown = await asyncio.to_thread(_pictures, facts, settings, with_qr=True)
    subject = header_text(
        i18n.gettext("Your tickets for %(event)s") % {"event": facts.event.name}, limit=250
    )
    context = {
        **facts.context,
        "subject": subject,
        "resend": resend,
        "passes": shown,
        "logo": logo,
        "event_image": hero,
    }
    pictures = [image for image in (logo, hero) if image] + [p.image for p in shown if p.image]
    return Draft(
        to=to,
        subject=subject,
        text=render("tickets.txt", context),
        html=render("tickets.html", context),
        images=pictures,
        reply_to=_reply_to(facts),
    )


async def refund_notice(
    session: AsyncSession, *, order_id: uuid.UUID, settings: Settings
) -> tuple[Draft, dict[str, Any]]:
    """What was refunded and which passes are void; also returns that as a comparable summary
    (so a second notice that would say nothing new is not sent)."""
    facts = await load(session, order_id=order_id, settings=settings)
    to = _recipient(facts.order)
    void = [p for p in facts.passes if p.token is None and p.reason == "refunded"]
    valid = [p for p in facts.passes if p.token is not None]
    logo, _, _ = await asyncio.to_thread(_pictures, facts, settings, with_qr=False)
    subject = header_text(
        i18n.gettext("Refund for %(event)s") % {"event": facts.event.name}, limit=250
    )
    context = {
        **facts.context,
        "subject": subject,
        "passes": facts.passes,
        "void": void,
        "valid": valid,
        "logo": logo,
        "event_image": None,
    }
    described = {"refunded_minor": facts.order.refunded_minor, "void": [p.code for p in void]}
    draft = Draft(
        to=to,
        subject=subject,
        text=render("refund.txt", context),
        html=render("refund.html", context),
        images=[logo] if logo else [],
        reply_to=_reply_to(facts),
    )
    return draft, described


def login_link(payload: dict[str, Any], *, settings: Settings) -> Draft:
    """A sign-in link (`api.accounts`): the token travels sealed in the outbox row."""
    token = accounts.unseal(str(payload.get("sealed_token") or ""), secret_key=settings.secret_key)
    if token is None:
        raise Undeliverable("the sign-in token is gone or cannot be unsealed with this SECRET_KEY")
    try:
        to = mailbox(str(payload.get("email", "")))
    except AddressRefused as exc:
        raise Undeliverable(f"the address cannot be used: {exc}") from exc
    i18n.activate(str(payload.get("language") or ""))  # the page that asked for the link
    subject = i18n.gettext("Your sign-in link")
    context = {
        "subject": subject,
        "link": accounts.login_url(settings.base_url, token),
        "minutes": int(accounts.TOKEN_TTL.total_seconds() // 60),
    }
    return Draft(
        to=to,
        subject=subject,
        text=render("login.txt", context),
        html=render("login.html", context),
    )
