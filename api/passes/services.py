"""Issuing, voiding and reinstating passes.

Every change is also a server-origin sync change: the event's `change_seq` is incremented by an
UPDATE … RETURNING in the same transaction, which locks the event row until commit. Changes of
one event therefore commit in seq order, and a scanner that pulled up to seq N can never later
miss a change numbered at or below N.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, EventKey, Order, Pass, PassChange, PassStatus, TicketTier, utcnow
from api.passes import keys, tokens
from api.passes.wording import VoidWording, void_wording


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
    """Create `count` valid passes of one tier for a paid (or free) order."""
    key = await keys.active_key(session, event_id=order.event_id, secret_key=secret_key)
    now = utcnow()
    passes = []
    for seq in await _next_seqs(session, event_id=order.event_id, count=count):
        item = Pass(
            pass_key=tokens.new_pass_key(),
            order_id=order.id,
            event_id=order.event_id,
            tier_id=tier_id,
            key_id=key.id,
            status=PassStatus.valid,
            change_seq=seq,
        )
        passes.append(item)
    session.add_all(passes)
    await session.flush()
    session.add_all(
        PassChange(
            event_id=order.event_id,
            seq=item.change_seq,
            pass_id=item.id,
            status=PassStatus.valid,
            reason="issued",
            changed_at=now,
        )
        for item in passes
    )
    await session.flush()
    return passes


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
        select(Pass, TicketTier.name)
        .join(TicketTier, TicketTier.id == Pass.tier_id)
        .where(Pass.order_id == order.id)
        .order_by(Pass.change_seq)
    )
    rows = (await session.execute(query)).all()
    shown = []
    for number, (item, tier) in enumerate(rows, start=1):
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
            )
        )
    return shown
