"""Issuing, voiding and reinstating passes.

Every change is also a server-origin sync change: the event's `change_seq` is incremented by an
UPDATE … RETURNING in the same transaction, which locks the event row until commit. Changes of
one event therefore commit in seq order, and a scanner that pulled up to seq N can never later
miss a change numbered at or below N.

Issuing an order's passes is one SQL text, `ISSUE`: the counter, the passes (signed by the
event's active key, read in the statement), their `issued` changes and the confirmation email
(`api.mail.outbox.order_confirmation`). A free checkout embeds it in its one autocommitted
statement (api/checkout/placement.py); fulfilment of a paid order and the demo run it inside
their transaction (`issue`). One text, so the two sale paths cannot drift apart.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from api.db import (
    Attendee,
    Event,
    EventKey,
    Order,
    Pass,
    PassChange,
    PassStatus,
    TicketTier,
    utcnow,
    uuid7,
)
from api.db.orders import PUBLIC_ID
from api.mail import outbox  # the module: api.mail.content imports this one
from api.outgoing import hooks as outgoing
from api.passes import keys, tokens
from api.passes.wording import VoidWording, void_wording

ISSUE = """
    issue_seq AS (
        UPDATE event SET change_seq = change_seq + :pass_count
        FROM placed WHERE event.id = :event_id
        RETURNING change_seq
    ),
    issued AS (
        INSERT INTO "pass" (id, pass_key, order_id, event_id, tier_id, key_id, status,
                            change_seq, created_at)
        SELECT p.id, p.pass_key, placed.id, :event_id, p.tier_id,
               (SELECT k.id FROM event_key AS k WHERE k.event_id = :event_id AND k.active),
               'valid', issue_seq.change_seq - :pass_count + p.n, now()
        FROM unnest(CAST(:pass_ids AS uuid[]), CAST(:pass_keys AS bytea[]),
                    CAST(:pass_tiers AS uuid[])) WITH ORDINALITY AS p(id, pass_key, tier_id, n),
             issue_seq, placed
        RETURNING id, change_seq
    ),
    issued_changes AS (
        INSERT INTO pass_change (event_id, seq, pass_id, status, reason, changed_at)
        SELECT :event_id, issued.change_seq, issued.id, 'valid', 'issued', now() FROM issued
    ),
    confirmation AS (
        INSERT INTO outbox_message (id, kind, payload, status, attempts, available_at,
                                    created_at)
        SELECT :mail_id, :mail_kind, CAST(:mail_payload AS jsonb), 'pending', 0, now(), now()
        FROM placed WHERE CAST(:confirm AS boolean)
    )"""
"""Data-modifying CTEs (to follow a comma) that issue the passes of the order in a CTE
`placed` (its `id`, one row; none issues nothing) of event `:event_id`, with parameters from
`issue_params`. The passes are signed by the event's active key (one at most: a unique partial
index); an event with none (made before events got theirs) fails the statement on
`pass.key_id` NOT NULL: make the key (`keys.active_key`) and run it again."""

_ORDER = "WITH placed AS (SELECT CAST(:order_id AS uuid) AS id),"
_ISSUED = "\nSELECT id, change_seq FROM issued ORDER BY change_seq"
_ISSUE_STATEMENT = text(_ORDER + ISSUE + _ISSUED)


def issue_params(
    *,
    order_id: uuid.UUID,
    event_id: uuid.UUID,
    lines: Sequence[tuple[uuid.UUID, int]],
    confirm: bool = True,
) -> dict[str, object]:
    """The parameters of `ISSUE`: one pass per seat of each `(tier id, count)` line, in that
    order, and with `confirm` the order's confirmation email."""
    pass_tiers = [tier_id for tier_id, count in lines for _ in range(count)]
    job = outbox.order_confirmation(order_id)
    return {
        "order_id": order_id,
        "event_id": event_id,
        "pass_count": len(pass_tiers),
        "pass_ids": [uuid7() for _ in pass_tiers],
        "pass_keys": [tokens.new_pass_key() for _ in pass_tiers],
        "pass_tiers": pass_tiers,
        "mail_id": uuid7(),
        "mail_kind": job.kind,
        "mail_payload": json.dumps(job.payload),
        "confirm": confirm,
    }


def missing_key(exc: Exception) -> bool:
    """Whether `exc` (an IntegrityError of `ISSUE`) says the event has no active key yet."""
    orig = getattr(exc, "orig", None)
    cause = getattr(orig, "__cause__", None)
    return getattr(cause, "column_name", None) == "key_id" or (
        "key_id" in str(orig) and "not-null" in str(orig)
    )


async def issue(
    session: AsyncSession,
    *,
    order: Order,
    lines: Sequence[tuple[uuid.UUID, int]],
    secret_key: str,
    confirm: bool = True,
) -> list[uuid.UUID]:
    """Issue the passes of `order` (`lines`: `(tier id, count)`), their sync changes and, with
    `confirm`, its confirmation email, in the caller's transaction (the caller commits).
    Returns the new passes' ids in issue order."""
    # An event made before events got their key at creation gets it here (once, race-free).
    await keys.active_key(session, event_id=order.event_id, secret_key=secret_key)
    await session.flush()
    params = issue_params(order_id=order.id, event_id=order.event_id, lines=lines, confirm=confirm)
    rows = (await session.execute(_ISSUE_STATEMENT, params)).all()
    # The counter moved under the ORM: keep a loaded Event saying so, as an ORM update would.
    event = session.identity_map.get(session.identity_key(Event, order.event_id))
    if event is not None and rows:
        set_committed_value(event, "change_seq", rows[-1].change_seq)
    return [row.id for row in rows]


async def _next_seqs(session: AsyncSession, *, event_id: uuid.UUID, count: int) -> range:
    high = await session.scalar(
        update(Event)
        .where(Event.id == event_id)
        .values(change_seq=Event.change_seq + count)
        .returning(Event.change_seq)
    )
    if high is None:
        raise LookupError(f"event {event_id} does not exist")
    return range(high - count + 1, high + 1)


async def issue_passes(
    session: AsyncSession, *, order: Order, tier_id: uuid.UUID, count: int, secret_key: str
) -> list[Pass]:
    """`count` valid passes of one tier for `order`, with no confirmation email (test data;
    a sale issues through `issue` or `ISSUE`)."""
    ids = await issue(
        session, order=order, lines=[(tier_id, count)], secret_key=secret_key, confirm=False
    )
    rows = await session.scalars(select(Pass).where(Pass.id.in_(ids)).order_by(Pass.change_seq))
    return list(rows)


async def set_status(
    session: AsyncSession, *, passes: Sequence[Pass], status: PassStatus, reason: str
) -> list[Pass]:
    """Void or reinstate passes; passes already in that status are left alone (idempotent)."""
    changed = [p for p in passes if p.status != status]
    if not changed:
        return []
    by_event: dict[uuid.UUID, list[Pass]] = {}
    for item in changed:
        by_event.setdefault(item.event_id, []).append(item)
    now = utcnow()
    for event_id, items in by_event.items():
        seqs = await _next_seqs(session, event_id=event_id, count=len(items))
        for item, seq in zip(items, seqs, strict=True):
            item.status = status
            item.void_reason = reason if status == PassStatus.void else None
            item.change_seq = seq
            session.add(
                PassChange(
                    event_id=event_id,
                    seq=seq,
                    pass_id=item.id,
                    status=status,
                    reason=reason,
                    changed_at=now,
                )
            )
    await session.flush()
    if status == PassStatus.void:  # outgoing webhooks: pass.voided (api/outgoing/hooks.py)
        for event_id, items in by_event.items():
            await outgoing.passes_voided(session, event_id=event_id, passes=items, reason=reason)
    return changed


async def pass_token(session: AsyncSession, *, item: Pass, secret_key: str) -> str:
    """The QR text of a pass, re-derived from its key (Ed25519 signatures are deterministic)."""
    key = await session.get_one(EventKey, item.key_id)
    private = keys.decrypt_private_key(key.private_key_encrypted, secret_key=secret_key)
    return tokens.issue(private_key=private, kid=key.kid, pass_key=item.pass_key)


async def order_passes(session: AsyncSession, *, order_id: uuid.UUID) -> list[Pass]:
    rows = await session.scalars(
        select(Pass).where(Pass.order_id == order_id).order_by(Pass.change_seq)
    )
    return list(rows)


async def order_by_link(session: AsyncSession, public_id: str) -> Order | None:
    """The order behind the buyer's unguessable link (`/passes/{public_id}`), with its event and
    organizer loaded; None when the id is malformed or no order has it."""
    if not PUBLIC_ID.fullmatch(public_id):
        return None
    return await session.scalar(
        select(Order)
        .where(Order.public_id == public_id)
        .options(selectinload(Order.event).selectinload(Event.organizer))
    )


@dataclass(frozen=True, slots=True)
class ShownPass:
    """One pass as its buyer sees it (passes page, wallet JSON, email, Apple/Google Wallet)."""

    id: uuid.UUID
    number: int
    """1, 2, … in issue order within the order."""
    pass_id: str
    """The pass key as text: the code printed under the QR and in wallet links."""
    tier: str
    status: str
    void_reason: str | None
    """None while the pass is valid."""
    wording: VoidWording | None
    """What a void pass says to the buyer and to the door; None while valid."""
    token: str | None
    """The QR text; None for a void pass (it must not be shown) unless `void_tokens` asked."""
    holder: str = ""
    """The attendee's name the buyer gave for this ticket (api/checkout/attendees.py), or ""."""

    @property
    def valid(self) -> bool:
        return self.status == PassStatus.valid


async def shown_passes(
    session: AsyncSession,
    *,
    order: Order,
    secret_key: str,
    pass_key: bytes | None = None,
    void_tokens: bool = False,
) -> list[ShownPass]:
    """The order's passes as the buyer sees them, in issue order; only the one with `pass_key`
    when given. A void pass carries its void wording and no token, except with `void_tokens`
    (an Apple or Google Wallet pass keeps its barcode when it is marked void)."""
    query = (
        select(Pass, TicketTier.name, Attendee.name)
        .join(TicketTier, TicketTier.id == Pass.tier_id)
        .outerjoin(Attendee, Attendee.pass_id == Pass.id)
        .where(Pass.order_id == order.id)
        .order_by(Pass.change_seq)
    )
    rows = (await session.execute(query)).all()
    shown = []
    for number, (item, tier, holder) in enumerate(rows, start=1):
        if pass_key is not None and item.pass_key != pass_key:
            continue
        valid = item.status == PassStatus.valid
        token = None
        if valid or void_tokens:
            token = await pass_token(session, item=item, secret_key=secret_key)
        shown.append(
            ShownPass(
                id=item.id,
                number=number,
                pass_id=tokens.pass_key_text(item.pass_key),
                tier=tier,
                status=item.status,
                void_reason=None if valid else item.void_reason,
                wording=None if valid else void_wording(item.void_reason),
                token=token,
                holder=holder or "",
            )
        )
    return shown
