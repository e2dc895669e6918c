"""Duplicating an event and deleting a draft, from the dashboard.

A copy is what an organizer would set up again by hand for next month's show: the event's
details and settings, its tiers with theirs, its door lists, attendee questions, discount and
access codes (unused), buyers' self-service rules and waiting-list settings (their tiers mapped
onto the copy's), as an unpublished draft at a new address with its own pass-signing key
(as every new event gets at creation). Nothing that happened to the original comes along: no
orders, passes, scans, devices or pairing links, and the copy's tiers have sold and held nothing.

Columns are copied unless named in `EVENT_STATE` or `TIER_STATE` (what the event or tier has
lived through rather than how it was set up), so a setting another part adds to `Event` or
`TicketTier` is copied without a change here; a column that records what happened must be
added to those sets (tests/test_event_copies.py checks the copy of every column).

Deleting is for drafts that never sold: an unpublished event with no order but expired or
cancelled checkouts (which go with it). Anything else is refused with the reason; a row some
other table keeps pointing at the event refuses the delete too rather than failing it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import (
    Base,
    Code,
    DoorList,
    Event,
    Order,
    OrderStatus,
    Pass,
    SelfServicePolicy,
    TicketTier,
    WaitingEntry,
    WaitingListSettings,
)
from api.errors import Invalid
from api.events.questions import copy_questions
from api.passes import keys

EVENT_STATE = frozenset(
    {"id", "created_at", "slug", "published", "change_seq", "list_seq", "cancelled_at"}
)
"""Event columns a copy does not take: identity, address, publication, sync counters and
whether it was cancelled."""
TIER_STATE = frozenset({"id", "created_at", "event_id", "sold", "held"})
"""Tier columns a copy does not take: identity, its event and what was sold or held."""
SETTINGS_TABLES: tuple[type[Base], ...] = (Code, SelfServicePolicy, WaitingListSettings)
"""How the event is set up beyond its tiers, door lists and questions, copied row by row (tier
ids mapped onto the copy's tiers): discount and access codes, buyers' self-service rules and
each tier's waiting-list settings."""
ROW_STATE = frozenset({"id", "created_at", "uses"})
"""Columns of those rows a copy does not take: identity and a code's count of uses."""
SLUG_MAX = 63
NAME_MAX = 200  # Event.name's length
_UNSOLD_LEFTOVERS = (OrderStatus.expired, OrderStatus.cancelled)


async def duplicate_event(db: AsyncSession, *, event: Event, actor: str, secret_key: str) -> Event:
    """An unpublished copy of `event` with its tiers and door lists, at a free address
    (`{slug}-copy`, `{slug}-copy-2`, …), named "… (copy)"; audited on both events' organizer.
    Commits."""
    slug = await _free_slug(db, event.slug)
    copy = Event(**_columns(event, skip=EVENT_STATE))
    copy.slug, copy.published, copy.change_seq, copy.list_seq = slug, False, 0, 0
    copy.name = _copy_name(event.name)
    db.add(copy)
    await db.flush()
    tiers = list(
        await db.scalars(
            select(TicketTier).where(TicketTier.event_id == event.id).order_by(TicketTier.position)
        )
    )
    tier_map: dict[uuid.UUID, uuid.UUID] = {}
    for tier in tiers:
        new_tier = TicketTier(**_columns(tier, skip=TIER_STATE), event_id=copy.id, sold=0, held=0)
        db.add(new_tier)
        await db.flush()
        tier_map[tier.id] = new_tier.id
    lists = list(
        await db.scalars(
            select(DoorList).where(DoorList.event_id == event.id).order_by(DoorList.seq)
        )
    )
    for seq, door_list in enumerate(lists, start=1):
        tier_ids = door_list.tier_ids
        db.add(
            DoorList(
                event_id=copy.id,
                name=door_list.name,
                tier_ids=None if tier_ids is None else [tier_map[t] for t in tier_ids],
                opens_at=door_list.opens_at,
                closes_at=door_list.closes_at,
                reentry=door_list.reentry,
                seq=seq,
            )
        )
    copy.list_seq = len(lists)
    await copy_questions(db, from_event_id=event.id, to_event_id=copy.id, tier_map=tier_map)
    for model in SETTINGS_TABLES:
        await _copy_settings(db, model, source=event.id, copy=copy.id, tier_map=tier_map)
    await db.flush()
    await keys.active_key(db, event_id=copy.id, secret_key=secret_key)
    audit.record(
        db, organizer_id=copy.organizer_id, actor=actor, action="event.duplicated",
        target=str(copy.id),
        details={"from_event_id": str(event.id), "from_slug": event.slug, "slug": copy.slug,
                 "tiers": len(tiers), "door_lists": len(lists)},
    )  # fmt: skip
    await db.commit()
    return copy


async def deletion_refusal(db: AsyncSession, *, event: Event) -> str | None:
    """Why `event` cannot be deleted, or None when it can."""
    if event.published:
        return "Only a draft can be deleted: unpublish this event first."
    sold = await db.scalar(
        select(func.count())
        .select_from(Order)
        .where(Order.event_id == event.id, Order.status.not_in(_UNSOLD_LEFTOVERS))
    )
    if sold:
        return (
            f"This event has {sold} order{'s' if sold != 1 else ''} (sold, or a checkout under"
            " way): an event that sold is kept with its orders. Unpublish it instead."
        )
    passes = await db.scalar(
        select(func.count()).select_from(Pass).where(Pass.event_id == event.id)
    )
    if passes:
        return "This event has issued passes: an event that sold is kept. Unpublish it instead."
    return None


async def delete_draft(db: AsyncSession, *, event: Event, actor: str) -> None:
    """Delete an unpublished event that never sold, with its tiers, door lists, devices and
    abandoned checkouts; audited. Raises `Invalid` with the reason otherwise (nothing deleted).
    Commits."""
    await db.refresh(event, with_for_update=True)  # publishing waits for this
    reason = await deletion_refusal(db, event=event)
    if reason is not None:
        await db.rollback()
        raise Invalid(reason)
    event_id, organizer_id = event.id, event.organizer_id
    details = {"slug": event.slug, "name": event.name}
    try:
        # Offers of its waiting lists point at orders; then the abandoned checkouts go.
        await db.execute(delete(WaitingEntry).where(WaitingEntry.event_id == event_id))
        await db.execute(delete(Order).where(Order.event_id == event_id))
        await db.execute(delete(Event).where(Event.id == event_id))  # tiers, lists, devices cascade
    except IntegrityError as exc:
        await db.rollback()
        raise Invalid(
            "This event still has records that belong to it (orders or passes made just now,"
            " or data kept with it), so it was not deleted."
        ) from exc
    audit.record(db, organizer_id=organizer_id, actor=actor, action="event.deleted",
                 target=str(event_id), details=details)  # fmt: skip
    await db.commit()


async def _copy_settings(
    db: AsyncSession,
    model: Any,
    *,
    source: uuid.UUID,
    copy: uuid.UUID,
    tier_map: dict[uuid.UUID, uuid.UUID],
) -> None:
    """Copy `model`'s rows of the source event (by `event_id`) or of its tiers (by `tier_id`)
    onto the copy, tier ids mapped, the columns in `ROW_STATE` left at their defaults."""
    table = model.__table__
    if "event_id" in table.c:
        rows = await db.scalars(select(model).where(table.c.event_id == source))
    else:
        rows = await db.scalars(select(model).where(table.c.tier_id.in_(list(tier_map))))
    for row in list(rows):
        fields = _columns(row, skip=ROW_STATE)
        if "event_id" in table.c:
            fields["event_id"] = copy
        if fields.get("tier_id") is not None:
            fields["tier_id"] = tier_map[fields["tier_id"]]
        if fields.get("tier_ids") is not None:
            fields["tier_ids"] = [tier_map[t] for t in fields["tier_ids"] if t in tier_map]
        db.add(model(**fields))


def _columns(row: Any, *, skip: frozenset[str]) -> dict[str, Any]:
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in skip
    }


def _copy_name(name: str) -> str:
    suffix = " (copy)"
    return name[: NAME_MAX - len(suffix)] + suffix


async def _free_slug(db: AsyncSession, slug: str) -> str:
    """`{slug}-copy`, else `{slug}-copy-2`, `-3`…, cut to fit the address's 63 characters."""
    for n in range(1, 1000):
        tail = "-copy" if n == 1 else f"-copy-{n}"
        candidate = slug[: SLUG_MAX - len(tail)].rstrip("-") + tail
        if await db.scalar(select(Event.id).where(Event.slug == candidate)) is None:
            return candidate
    raise Invalid("Could not find a free address for the copy; rename some copies first.")
