"""An organizer's codes: created, changed, switched off and on, and which tiers are hidden (sold
only with a code). Each change is audited; the dashboard's form is read in
api/admin/code_pages.py.

A code that orders used keeps its text (buyers and the exports name it) but may get a new
discount, tiers, limit or window: orders already placed keep the price they were given. Its
limit can't go below the uses so far (the CHECK `within_limit` would refuse every later order
and the release of a hold alike). Codes are never deleted, only deactivated: orders point at
them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import Code, DiscountKind, Event, TicketTier
from api.errors import Invalid, NotFound


@dataclass(frozen=True)
class CodeFields:
    code: str
    kind: DiscountKind
    value: int
    tier_ids: list[uuid.UUID] | None
    max_uses: int | None
    starts_at: datetime | None
    ends_at: datetime | None


def event_currency(event: Event, tiers: Sequence[TicketTier], fallback: str) -> str:
    """The currency amounts off are typed in: the event's (its tiers' on older installs)."""
    currency = getattr(event, "currency", None)
    if isinstance(currency, str) and currency:
        return currency
    return tiers[0].currency if tiers else fallback


async def save_code(
    db: AsyncSession, *, event: Event, fields: CodeFields, actor: str, code_id: uuid.UUID | None
) -> Code:
    """Create the code, or change the one `code_id` names; the caller commits."""
    if code_id is None:
        item = Code(event_id=event.id, active=True)
        db.add(item)
    else:
        item = await one_code(db, event=event, code_id=code_id)
        if fields.max_uses is not None and fields.max_uses < item.uses:
            raise Invalid(
                f"{item.code} was used {item.uses} times already: the limit can't be lower."
            )
    item.code, item.kind, item.value = fields.code, fields.kind, fields.value
    item.tier_ids, item.max_uses = fields.tier_ids, fields.max_uses
    item.starts_at, item.ends_at = fields.starts_at, fields.ends_at
    try:
        await db.flush()
    except IntegrityError as exc:
        await db.rollback()
        raise Invalid(f"This event already has a code {fields.code}.") from exc
    audit.record(
        db, organizer_id=event.organizer_id, actor=actor,
        action="code.created" if code_id is None else "code.changed", target=str(item.id),
        details={"event": str(event.id), "code": item.code, "kind": str(item.kind),
                 "value": item.value, "max_uses": item.max_uses},
    )  # fmt: skip
    return item


async def set_active(
    db: AsyncSession, *, event: Event, code_id: uuid.UUID, active: bool, actor: str
) -> Code:
    item = await one_code(db, event=event, code_id=code_id)
    item.active = active
    audit.record(
        db, organizer_id=event.organizer_id, actor=actor,
        action="code.activated" if active else "code.deactivated", target=str(item.id),
        details={"event": str(event.id), "code": item.code},
    )  # fmt: skip
    return item


async def set_hidden_tiers(
    db: AsyncSession, *, event: Event, hidden: Sequence[str], actor: str
) -> list[str]:
    """Hide exactly the tiers named (their ids); returns the hidden tiers' names."""
    tiers = list(await db.scalars(select(TicketTier).where(TicketTier.event_id == event.id)))
    wanted = set(hidden)
    await db.execute(
        update(TicketTier)
        .where(TicketTier.event_id == event.id)
        .values(hidden=TicketTier.id.in_([t.id for t in tiers if str(t.id) in wanted]))
    )
    names = sorted(t.name for t in tiers if str(t.id) in wanted)
    audit.record(
        db, organizer_id=event.organizer_id, actor=actor, action="tiers.hidden",
        target=str(event.id), details={"hidden": names},
    )  # fmt: skip
    return names


async def one_code(db: AsyncSession, *, event: Event, code_id: uuid.UUID) -> Code:
    item = await db.get(Code, code_id)
    if item is None or item.event_id != event.id:
        raise NotFound("No such code.")
    return item


async def event_codes(db: AsyncSession, *, event_id: uuid.UUID) -> list[Code]:
    return list(
        await db.scalars(select(Code).where(Code.event_id == event_id).order_by(Code.created_at))
    )
