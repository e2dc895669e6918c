"""Emails of what organizers do after the sale (issue 17): an event's cancellation notice and a
message to ticket holders. Rendered when sent, like every outbox email (`api.mail.outbox`).

    event_cancelled  one per order of a cancelled event (api/events/cancellation.py):
                     `order_id`, `refund_minor` (what is being refunded, 0 for none)
    holder_message   one per ticket holder (api/mail/broadcast.py): `broadcast_id`,
                     `email`, `order_id` (one of the holder's orders, for the passes link)
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import formatting, i18n
from api.db import Broadcast, EventCancellation
from api.mail import content
from api.mail.addresses import header_text, mailbox
from api.mail.errors import AddressRefused, Undeliverable
from api.mail.message import Draft
from api.settings import Settings

CANCELLED = "event_cancelled"
HOLDER_MESSAGE = "holder_message"
KINDS: tuple[str, ...] = (CANCELLED, HOLDER_MESSAGE)


def _uuid(payload: dict[str, Any], name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload[name]))
    except (KeyError, ValueError) as exc:
        raise Undeliverable(f"the payload names no {name}: {payload!r}") from exc


async def draft(
    session: AsyncSession, *, kind: str, payload: dict[str, Any], settings: Settings
) -> Draft:
    if kind == CANCELLED:
        return await cancellation_notice(session, payload=payload, settings=settings)
    if kind == HOLDER_MESSAGE:
        return await holder_message(session, payload=payload, settings=settings)
    raise Undeliverable(f"no email is written for outbox kind {kind!r}")


async def cancellation_notice(
    session: AsyncSession, *, payload: dict[str, Any], settings: Settings
) -> Draft:
    """The event is cancelled: its passes are void, and what is refunded."""
    facts = await content.load(session, order_id=_uuid(payload, "order_id"), settings=settings)
    record = await session.scalar(
        select(EventCancellation).where(EventCancellation.event_id == facts.event.id)
    )
    refund_minor = int(payload.get("refund_minor") or 0)
    subject = header_text(
        i18n.gettext("Cancelled: %(event)s") % {"event": facts.event.name}, limit=250
    )
    context = {
        **facts.context,
        "subject": subject,
        "message": record.message if record is not None else "",
        "refund": formatting.money(refund_minor, facts.order.currency) if refund_minor else "",
        "passes": facts.passes,
        "logo": None,
        "event_image": None,
    }
    return Draft(
        to=_to(facts.order.buyer_email, facts.order.buyer_name),
        subject=subject,
        text=content.render("event_cancelled.txt", context),
        html=content.render("event_cancelled.html", context),
        reply_to=_reply_to(facts.event.organizer),
    )


async def holder_message(
    session: AsyncSession, *, payload: dict[str, Any], settings: Settings
) -> Draft:
    """An organizer's plain-text message to one ticket holder."""
    message = await session.get(Broadcast, _uuid(payload, "broadcast_id"))
    if message is None:
        raise Undeliverable("the message is gone")
    facts = await content.load(session, order_id=_uuid(payload, "order_id"), settings=settings)
    return render_message(
        message.subject, message.body, context=facts.context,
        to=_to(str(payload.get("email") or facts.order.buyer_email), facts.order.buyer_name),
    )  # fmt: skip


def render_message(subject: str, body: str, *, context: dict[str, Any], to: Any) -> Draft:
    """The holder message as it is sent (and previewed, `api.mail.broadcast.preview`)."""
    subject = header_text(subject, limit=200)
    shown = {**context, "subject": subject, "body": body, "logo": None, "event_image": None}
    return Draft(
        to=to,
        subject=subject,
        text=content.render("holder_message.txt", shown),
        html=content.render("holder_message.html", shown),
        reply_to=_reply_to(context["organizer"]),
    )


def _to(email: str, name: str) -> Any:
    try:
        return mailbox(email, name=name)
    except AddressRefused as exc:
        raise Undeliverable(f"the holder's address cannot be used: {exc}") from exc


def _reply_to(organizer: Any) -> Any:
    try:
        return mailbox(organizer.contact_email, name=organizer.name)
    except AddressRefused:
        return None
