"""The two emails of a ticket transfer (api/passes/transfer.py), rendered when sent.

`pass_transferred` goes to the new holder: the event, who sent the ticket, and their new pass
with its QR code, like a confirmation. `transfer_notice` tells the old holder which pass was
transferred, to whom, that its code no longer admits anyone, and what remains valid.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api import i18n
from api.mail import content
from api.mail.addresses import header_text
from api.mail.errors import Undeliverable
from api.mail.message import Draft
from api.settings import Settings

PASS_TRANSFERRED: str = "pass_transferred"  # noqa: S105 (an outbox kind, no password)
TRANSFER_NOTICE: str = "transfer_notice"
KINDS: tuple[str, ...] = (PASS_TRANSFERRED, TRANSFER_NOTICE)


def _order_id(payload: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload["order_id"]))
    except (KeyError, ValueError) as exc:
        raise Undeliverable(f"the payload names no order: {payload!r}") from exc


async def draft(
    session: AsyncSession, *, kind: str, payload: dict[str, Any], settings: Settings
) -> Draft:
    facts = await content.load(session, order_id=_order_id(payload), settings=settings)
    to = content._recipient(facts.order)
    with_qr = kind == PASS_TRANSFERRED
    logo, hero, shown = await asyncio.to_thread(content._pictures, facts, settings, with_qr=with_qr)
    if kind == PASS_TRANSFERRED:
        subject = header_text(
            i18n.gettext("A ticket for %(event)s was transferred to you")
            % {"event": facts.event.name},
            limit=250,
        )
        name = "transferred"
        context: dict[str, Any] = {"from_email": str(payload.get("from_email", ""))}
        pictures = [i for i in (logo, hero) if i] + [p.image for p in shown if p.image]
    else:
        subject = header_text(
            i18n.gettext("Your ticket for %(event)s was transferred") % {"event": facts.event.name},
            limit=250,
        )
        name = "transfer_notice"
        code = str(payload.get("pass", ""))
        context = {
            "moved": [p for p in shown if p.code == code],
            "to_email": str(payload.get("to_email", "")),
            "valid": [p for p in shown if p.token is not None],
        }
        hero = None
        pictures = [logo] if logo else []
    context = {
        **facts.context, **context, "subject": subject, "passes": shown, "logo": logo,
        "event_image": hero,
    }  # fmt: skip
    return Draft(
        to=to,
        subject=subject,
        text=content.render(f"{name}.txt", context),
        html=content.render(f"{name}.html", context),
        images=pictures,
        reply_to=content._reply_to(facts),
    )
