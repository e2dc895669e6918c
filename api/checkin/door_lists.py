"""Door lists on the server: making and changing them, and the list records phones receive
(sync/PROTOCOL.md section 18).

Each change takes the next number of the event's `list_seq` (an UPDATE … RETURNING in the
change's transaction, so two changes of one event never share a number and commit in order)
and writes it on the list: the list's row is its latest record. A phone pulls with
`lists_after` and gets every list changed since, whole. Tiers travel by name, as in pass
changes; renaming a tier re-sends the lists that name it (`tier_renamed`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import any_, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import sync
from api import audit
from api.db import DoorList, Event, TicketTier

NAME_MAX = 80


class DoorListRefused(Exception):
    """A list that cannot be saved; the message says why, for the organizer."""


@dataclass(frozen=True)
class ListFields:
    name: str
    tier_ids: Sequence[uuid.UUID] | None
    """None: every tier."""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    reentry: bool = False


async def _next_seq(session: AsyncSession, event_id: uuid.UUID) -> int:
    seq = await session.scalar(
        update(Event)
        .where(Event.id == event_id)
        .values(list_seq=Event.list_seq + 1)
        .returning(Event.list_seq)
    )
    if seq is None:
        raise LookupError(f"event {event_id} does not exist")
    return int(seq)


async def _checked(session: AsyncSession, event: Event, fields: ListFields) -> ListFields:
    name = " ".join(fields.name.split())
    if not name or len(name) > NAME_MAX:
        raise DoorListRefused(f"Give the door list a name of 1 to {NAME_MAX} characters.")
    tier_ids = None
    if fields.tier_ids is not None:
        tier_ids = sorted(set(fields.tier_ids))
        if not tier_ids:
            raise DoorListRefused("Choose at least one tier this door admits.")
        known = set(
            await session.scalars(
                select(TicketTier.id).where(
                    TicketTier.event_id == event.id, TicketTier.id.in_(tier_ids)
                )
            )
        )
        if known != set(tier_ids):
            raise DoorListRefused("A tier chosen for this door list is not one of this event's.")
    if fields.opens_at and fields.closes_at and fields.closes_at <= fields.opens_at:
        raise DoorListRefused("The door must close after it opens.")
    return ListFields(name, tier_ids, fields.opens_at, fields.closes_at, fields.reentry)


async def _name_taken(
    session: AsyncSession, event: Event, name: str, but: uuid.UUID | None
) -> bool:
    query = select(DoorList.id).where(DoorList.event_id == event.id, DoorList.name == name)
    if but is not None:
        query = query.where(DoorList.id != but)
    return await session.scalar(query) is not None


async def save_list(
    session: AsyncSession,
    *,
    event: Event,
    fields: ListFields,
    actor: str,
    list_id: uuid.UUID | None = None,
) -> DoorList:
    """Create a door list, or change the one with `list_id`; audited. Raises DoorListRefused
    (nothing written) for a list that cannot be saved, LookupError for another event's list."""
    checked = await _checked(session, event, fields)
    if await _name_taken(session, event, checked.name, list_id):
        raise DoorListRefused(f"This event already has a door list called “{checked.name}”.")
    if list_id is None:
        door_list = DoorList(event_id=event.id, seq=await _next_seq(session, event.id))
        session.add(door_list)
    else:
        found = await session.get(DoorList, list_id)
        if found is None or found.event_id != event.id:
            raise LookupError(f"door list {list_id} is not one of this event's")
        door_list = found
        door_list.seq = await _next_seq(session, event.id)
    door_list.name = checked.name
    door_list.tier_ids = list(checked.tier_ids) if checked.tier_ids is not None else None
    door_list.opens_at = checked.opens_at
    door_list.closes_at = checked.closes_at
    door_list.reentry = checked.reentry
    await session.flush()
    audit.record(
        session,
        organizer_id=event.organizer_id,
        actor=actor,
        action="door_list.created" if list_id is None else "door_list.changed",
        target=checked.name,
        details={"door_list_id": str(door_list.id), "event_id": str(event.id)},
    )
    return door_list


async def tier_renamed(session: AsyncSession, *, tier: TicketTier) -> None:
    """Lists naming a renamed tier get a new number, so phones receive its new name."""
    rows = await session.scalars(
        select(DoorList).where(
            DoorList.event_id == tier.event_id, literal(tier.id) == any_(DoorList.tier_ids)
        )
    )
    for door_list in rows:
        door_list.seq = await _next_seq(session, tier.event_id)


def wire_list_id(door_list_id: uuid.UUID | None) -> str:
    """The `list_id` phones know a list by: the row's id, or "default" for no list."""
    return sync.DEFAULT_LIST if door_list_id is None else str(door_list_id)


async def records(
    session: AsyncSession, *, event_id: uuid.UUID, after: int = 0
) -> list[dict[str, Any]]:
    """The list records of the event changed after `after`, by (seq, list id) as a pull sends
    them (sync/PROTOCOL.md 10.2.7)."""
    lists = (
        await session.scalars(
            select(DoorList)
            .where(DoorList.event_id == event_id, DoorList.seq > after)
            .order_by(DoorList.seq, DoorList.id)
        )
    ).all()
    if not lists:
        return []
    names = dict(
        (
            await session.execute(
                select(TicketTier.id, TicketTier.name).where(TicketTier.event_id == event_id)
            )
        ).all()
    )
    return [
        {
            "list_id": wire_list_id(item.id),
            "seq": item.seq,
            "name": item.name,
            "tiers": None
            if item.tier_ids is None
            else sorted(names[t] for t in item.tier_ids if t in names),
            "from": _millis(item.opens_at),
            "until": _millis(item.closes_at),
            "reentry": item.reentry,
        }
        for item in lists
    ]


def _millis(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


async def event_lists(session: AsyncSession, *, event_id: uuid.UUID) -> list[DoorList]:
    return list(
        await session.scalars(
            select(DoorList).where(DoorList.event_id == event_id).order_by(DoorList.name)
        )
    )
