"""Email kinds of the outbox: writing them, sending one, and listing them.

Kinds and their payloads (`order_id` is the order's UUID as text):

    order_confirmation  written with the order's passes (`api.passes.services.ISSUE`, built by
                        `order_confirmation` here) when an order is paid, or placed free
    refund_notice       written by `api.checkout.fulfilment` when a refund is recorded
    resend_tickets      written by `queue_resend` (the buyer or the organizer asks again)
    pass_transferred    the new holder's pass, and transfer_notice, the old holder's notice:
                        written by `api.passes.transfer` (see `api.mail.transfers`)
    login_link          written by `api.accounts.services.request_login`: `email` and the
                        token sealed with SECRET_KEY, dropped from the row once sent
    waiting_joined,     a waiting list's confirmation and offer (`api.waiting.mail`;
    waiting_offer       payload `entry_id`)
    event_cancelled,    an event's cancellation and a message to ticket holders
    holder_message      (`api.mail.after_sale`)

The message is rendered when it is sent, from the order as it is then (`preview` renders it
for people: the outbox view of a site with no provider). Stripe may report one
refund through several webhooks (`charge.refunded`, `refund.updated`), each writing a
`refund_notice`; a notice that would say exactly what the last one sent said is skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import i18n
from api.db import Order, OutboxMessage, Pass, PassStatus, utcnow
from api.mail import after_sale, content, transfers
from api.mail.addresses import parse_mailbox
from api.mail.errors import NotConfigured, Undeliverable
from api.mail.message import Draft, build
from api.mail.providers import Mailer
from api.settings import Settings
from api.waiting import mail as waiting_mail

ORDER_CONFIRMATION = "order_confirmation"
KINDS = (
    ORDER_CONFIRMATION, "refund_notice", "resend_tickets", "login_link", *transfers.KINDS,
    *after_sale.KINDS, *waiting_mail.KINDS,
)  # fmt: skip


@dataclass(frozen=True)
class Job:
    """An outbox row to write: its kind and its JSON payload."""

    kind: str
    payload: dict[str, str]


def order_confirmation(order_id: uuid.UUID) -> Job:
    """The email of an order's passes, queued in the statement that issues them (every sale,
    free or paid, writes it through `api.passes.services.ISSUE`)."""
    return Job(ORDER_CONFIRMATION, {"order_id": str(order_id)})


class NothingToSend(Exception):
    """The order has no valid pass to send again."""


@dataclass(frozen=True)
class Sent:
    """`provider` that accepted it (`api`, `smtp`, or `none` when skipped) and a summary that
    is kept on the outbox row (recipient, subject) for the outbox view."""

    provider: str
    summary: dict[str, Any]


async def queue_resend(session: AsyncSession, *, order_id: uuid.UUID) -> OutboxMessage:
    """Queue the tickets of an order to be emailed again (the caller commits)."""
    order = await session.get(Order, order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    valid = await session.scalar(
        select(Pass.id).where(Pass.order_id == order_id, Pass.status == PassStatus.valid).limit(1)
    )
    if valid is None:
        raise NothingToSend("this order has no valid passes to send")
    row = OutboxMessage(
        kind="resend_tickets", payload={"order_id": str(order_id)}, available_at=utcnow()
    )
    session.add(row)
    await session.flush()
    return row


def _order_id(payload: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload["order_id"]))
    except (KeyError, ValueError) as exc:
        raise Undeliverable(f"the payload names no order: {payload!r}") from exc


async def _last_refund_described(session: AsyncSession, order_id: uuid.UUID) -> object:
    return await session.scalar(
        select(OutboxMessage.payload["described"])
        .where(
            OutboxMessage.kind == "refund_notice",
            OutboxMessage.status.in_(("sent", "kept")),
            OutboxMessage.payload["order_id"].astext == str(order_id),
        )
        .order_by(OutboxMessage.sent_at.desc().nulls_last(), OutboxMessage.created_at.desc())
        .limit(1)
    )


async def _draft(
    session: AsyncSession, *, kind: str, payload: dict[str, Any], settings: Settings,
    dedupe: bool = True,
) -> tuple[Draft | None, dict[str, Any]]:  # fmt: skip
    if kind == "login_link":
        return content.login_link(payload, settings=settings), {}
    if kind in waiting_mail.KINDS:
        return await waiting_mail.draft(session, kind=kind, payload=payload, settings=settings), {}
    if kind in transfers.KINDS:  # a ticket transfer's two emails (api/mail/transfers.py)
        return await transfers.draft(session, kind=kind, payload=payload, settings=settings), {}
    if kind in after_sale.KINDS:
        return await after_sale.draft(session, kind=kind, payload=payload, settings=settings), {}
    order_id = _order_id(payload)
    if kind == "refund_notice":
        draft, described = await content.refund_notice(
            session, order_id=order_id, settings=settings
        )
        nothing = not described["refunded_minor"] and not described["void"]
        if dedupe and (nothing or described == await _last_refund_described(session, order_id)):
            return None, {"described": described}
        return draft, {"described": described}
    if kind in (ORDER_CONFIRMATION, "resend_tickets"):
        draft = await content.tickets(
            session, order_id=order_id, settings=settings, resend=kind == "resend_tickets"
        )
        return draft, {}
    raise Undeliverable(f"no email is written for outbox kind {kind!r}")


async def deliver(
    *, kind: str, payload: dict[str, Any], session: AsyncSession, mailer: Mailer
) -> Sent:
    """Render the message for one outbox row and hand it to the first provider that takes it.

    `session` is the outbox runner's transaction (one connection per job: a worker running
    jobs side by side cannot starve its own pool); reads happen in a savepoint, so a failed one
    still lets that transaction record the failure.
    Raises NotConfigured (keep it), Undeliverable (give up), or anything else (retry later).
    """
    async with session.begin_nested():
        with i18n.scope():  # an order's email activates its language; the next job starts afresh
            draft, extra = await _draft(
                session, kind=kind, payload=payload, settings=mailer.settings
            )
    if draft is None:
        return Sent(provider="none", summary={**extra, "skipped": "nothing new to say"})
    message = build(draft, sender=parse_mailbox(mailer.settings.mail_from))
    summary: dict[str, Any] = {
        **extra, "to": draft.to.addr_spec, "subject": str(message["Subject"])
    }  # fmt: skip
    if not mailer.configured:
        raise NotConfigured(summary)
    accepted = await mailer.send(message)
    if accepted.failures:
        summary["fallback_after"] = "; ".join(accepted.failures)
    if "sealed_token" in payload:
        summary["sealed_token"] = None  # sent: the secret has no reason to stay at rest
    return Sent(provider=accepted.provider, summary=summary)


async def preview(session: AsyncSession, *, row: OutboxMessage, settings: Settings) -> str:
    """What a row's email says (recipient, subject, text part), rendered now: for
    `poctix outbox --show` and the dashboard's outbox view on a site with no provider."""
    try:
        with i18n.scope():
            draft, _ = await _draft(
                session, kind=row.kind, payload=row.payload, settings=settings, dedupe=False
            )
    except Undeliverable as exc:
        return f"(cannot be written: {exc})"
    if draft is None:
        return "(nothing to send)"
    return f"To: {draft.to}\nSubject: {draft.subject}\n\n{draft.text}"


async def list_outbox(
    session: AsyncSession, *, statuses: Sequence[str] = ("pending", "kept", "failed"),
    limit: int = 100,
) -> list[OutboxMessage]:  # fmt: skip
    """Outbox rows in the given statuses, newest first (for `poctix outbox` and the dashboard)."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(list(statuses)))
        .order_by(OutboxMessage.created_at.desc())
        .limit(limit)
    )
    return list(rows)


async def release_kept(session: AsyncSession) -> int:
    """Put kept emails back in the queue (once a provider is configured); the caller commits."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "kept", OutboxMessage.kind.in_(KINDS))
        .values(status="pending", available_at=utcnow(), last_error=None)
        .returning(OutboxMessage.id)
    )
    return len(result.all())
