"""Seats coming back, and the waiting list that gets them first.

`seats_freed` is the one function every release of a seat ends in (DESIGN.md, "Selling
rules"): an unpaid hold released (expired, abandoned, cancelled: `api.checkout.holds.release`),
a sold seat put back (refund, void, dispute, cancellation: `holds.unsell`), a capacity raised
(`api.events.editing.update_tier`), and an offer that lapsed or was withdrawn (here). It runs
in the transaction that freed the seats, so seats with people waiting for them are offered
before the public ever sees them free.

An offer holds its seats in the tier's `held` (the counter unpaid checkouts use), so the CHECK
`never_oversold` guards them like any hold and the event page and checkout count them as taken.
The tier's row is locked before the line is read: two transactions freeing seats of one tier
at once queue on that row, and the second sees the first one's offers (two seats freed at once
go to two people, never twice to one). Every path here takes the tier's row before any entry
(as placement takes tiers before allowances), so they never deadlock.

Order: entries in the order they joined; an entry wanting more seats than are free keeps its
place and the next one that fits is offered (pretix's list does the same), so one large group
never stalls the line.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import OutboxMessage, WaitingEntry, WaitingListSettings, WaitingStatus, utcnow
from api.db.waiting import DEFAULT_OFFER_HOURS

OFFER_KIND = "waiting_offer"
JOINED_KIND = "waiting_joined"
"""The outbox kinds of the waiting list's emails (api/waiting/mail.py)."""
FROM_THE_LIST = "list"
"""`WaitingEntry.offered_by` of an offer made when seats came back (not by a person)."""


class OfferRefused(Exception):
    """An organizer's action on an entry cannot be done; the message says why."""


@dataclass(frozen=True)
class _Tier:
    free: int
    sales_end: datetime
    """When the tier stops selling (`api.events.services.sales_end`); a cancelled event's
    already has."""
    offer_hours: int


async def lock_tier(session: AsyncSession, tier_id: uuid.UUID) -> _Tier | None:
    """Lock the tier's row (a no-op when this transaction already wrote it) and read what an
    offer needs: the seats free now, when its sales end, how long its offers hold."""
    row = (
        await session.execute(
            text(
                "SELECT t.capacity - t.sold - t.held AS free,"
                " CASE WHEN e.cancelled_at IS NOT NULL THEN e.cancelled_at"  # sells nothing
                " ELSE least(coalesce(t.sales_end, e.starts_at), e.ends_at) END AS sales_end,"
                " s.offer_hours"
                " FROM ticket_tier AS t JOIN event AS e ON e.id = t.event_id"
                " LEFT JOIN waiting_list_settings AS s ON s.tier_id = t.id"
                " WHERE t.id = :id FOR UPDATE OF t"
            ),
            {"id": tier_id},
        )
    ).one_or_none()
    if row is None:
        return None
    return _Tier(row.free, row.sales_end, row.offer_hours or DEFAULT_OFFER_HOURS)


async def seats_freed(session: AsyncSession, *, tier_id: uuid.UUID) -> int:
    """Seats of `tier_id` came back in this transaction: offer them to the next entries in line
    (their seats held, an email queued to each). Returns how many entries were offered.

    First come the claims whose checkout ended unpaid (the buyer went back from Stripe, or let
    it lapse) while their offer still runs: the seats are theirs again until the offer ends,
    at the same link (no second email). Then the line."""
    await session.flush()  # the caller's changes (an order's new status) are what is read
    if not (await session.execute(_ANYONE, {"t": tier_id})).scalar():
        return 0  # the common case: nobody waits, and nothing more is read
    tier = await lock_tier(session, tier_id)
    now = utcnow()
    if tier is None or tier.free <= 0 or now >= tier.sales_end:
        return 0
    lapsed_ids = list(await session.scalars(_LAPSED_CLAIMS, {"t": tier_id}))
    lapsed = await session.scalars(
        select(WaitingEntry)
        .where(WaitingEntry.id.in_(lapsed_ids))
        .order_by(WaitingEntry.offered_at, WaitingEntry.id)
        .execution_options(populate_existing=True)
    )
    free, held = tier.free, 0
    for entry in lapsed:
        if entry.quantity <= free:
            entry.status = WaitingStatus.offered
            entry.order_id = None
            entry.ended_at = None
            free -= entry.quantity
            held += entry.quantity
    line = await session.scalars(
        select(WaitingEntry)
        .where(
            WaitingEntry.tier_id == tier_id,
            WaitingEntry.status == WaitingStatus.waiting,
            WaitingEntry.quantity <= free,
        )
        .order_by(WaitingEntry.created_at, WaitingEntry.id)
        .execution_options(populate_existing=True)
    )  # no row locks: every change of an entry's status is made under its tier's row lock
    offered = []
    for entry in line:
        if free == 0:
            break
        if entry.quantity <= free:
            offered.append(entry)
            free -= entry.quantity
    for entry in offered:
        _offer(session, entry, tier=tier, now=now, by=FROM_THE_LIST)
    await _hold(session, tier_id, held + sum(entry.quantity for entry in offered))
    return len(offered)


_ANYONE = text(
    "SELECT EXISTS (SELECT FROM waiting_entry WHERE tier_id = :t AND status = 'waiting')"
    ' OR EXISTS (SELECT FROM waiting_entry AS w JOIN "order" AS o ON o.id = w.order_id'
    "  WHERE w.tier_id = :t AND w.status = 'claimed' AND w.offer_expires_at > now()"
    "  AND o.status IN ('expired', 'cancelled'))"
)
_LAPSED_CLAIMS = text(
    'SELECT w.id FROM waiting_entry AS w JOIN "order" AS o ON o.id = w.order_id'
    " WHERE w.tier_id = :t AND w.status = 'claimed' AND w.offer_expires_at > now()"
    " AND o.status IN ('expired', 'cancelled')"
    # the same buyer back in line meanwhile keeps that entry; one active entry per email
    " AND NOT EXISTS (SELECT FROM waiting_entry AS x WHERE x.tier_id = w.tier_id"
    "  AND x.email = w.email AND x.status IN ('waiting', 'offered'))"
)


def _offer(session: AsyncSession, entry: WaitingEntry, *, tier: _Tier, now: datetime,
           by: str) -> None:  # fmt: skip
    entry.status = WaitingStatus.offered
    entry.offer_token = secrets.token_urlsafe(16)
    entry.offered_at = now
    entry.offer_expires_at = min(now + timedelta(hours=tier.offer_hours), tier.sales_end)
    entry.offered_by = by
    session.add(
        OutboxMessage(kind=OFFER_KIND, payload={"entry_id": str(entry.id)}, available_at=now)
    )


async def _hold(session: AsyncSession, tier_id: uuid.UUID, seats: int) -> None:
    if seats:
        await session.execute(
            text("UPDATE ticket_tier SET held = held + :n WHERE id = :id"),
            {"n": seats, "id": tier_id},
        )


async def unhold(session: AsyncSession, tier_id: uuid.UUID, seats: int) -> None:
    """An offer's seats leave `held`, without waking the list (the caller decides)."""
    await session.execute(
        text("UPDATE ticket_tier SET held = held - :n WHERE id = :id"),
        {"n": seats, "id": tier_id},
    )


async def locked_entry(session: AsyncSession, entry_id: uuid.UUID) -> WaitingEntry | None:
    return await session.scalar(
        select(WaitingEntry)
        .where(WaitingEntry.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _end_offer(
    session: AsyncSession, entry: WaitingEntry, status: WaitingStatus, now: datetime
) -> None:
    """The offer's seats come back (the entry is `status` now) and pass down the list."""
    entry.status = status
    entry.ended_at = now
    await unhold(session, entry.tier_id, entry.quantity)
    await session.flush()
    await seats_freed(session, tier_id=entry.tier_id)


async def expire_lapsed_offers(session: AsyncSession, *, limit: int = 100) -> int:
    """Offers past their time expire, one transaction each, and their seats pass down the
    list (the outbox worker's sweep runs this). Returns how many expired."""
    now = utcnow()
    lapsed = (
        await session.execute(
            select(WaitingEntry.id, WaitingEntry.tier_id)
            .where(
                WaitingEntry.status == WaitingStatus.offered,
                WaitingEntry.offer_expires_at <= now,
            )
            .order_by(WaitingEntry.offer_expires_at)
            .limit(limit)
        )
    ).all()
    await session.rollback()
    expired = 0
    for entry_id, tier_id in lapsed:
        await lock_tier(session, tier_id)
        entry = await locked_entry(session, entry_id)
        if (
            entry is not None
            and entry.status == WaitingStatus.offered
            and entry.offer_expires_at is not None
            and entry.offer_expires_at <= utcnow()
        ):
            await _end_offer(session, entry, WaitingStatus.expired, utcnow())
            expired += 1
        await session.commit()
    return expired


async def remove(session: AsyncSession, *, entry_id: uuid.UUID, tier_id: uuid.UUID) -> None:
    """The organizer takes an entry off the list; an offer it held passes down the list."""
    await lock_tier(session, tier_id)
    entry = await locked_entry(session, entry_id)
    if entry is None or entry.tier_id != tier_id:
        raise OfferRefused("No such entry on this waiting list.")
    if entry.status == WaitingStatus.waiting:
        entry.status = WaitingStatus.removed
        entry.ended_at = utcnow()
    elif entry.status == WaitingStatus.offered:
        await _end_offer(session, entry, WaitingStatus.removed, utcnow())
    else:
        raise OfferRefused(f"This entry is {entry.status} already; it is kept as a record.")


async def offer_now(
    session: AsyncSession, *, entry_id: uuid.UUID, tier_id: uuid.UUID, actor: str
) -> None:
    """The organizer offers seats to this entry now, ahead of its turn, if they are free."""
    tier = await lock_tier(session, tier_id)
    entry = await locked_entry(session, entry_id)
    if tier is None or entry is None or entry.tier_id != tier_id:
        raise OfferRefused("No such entry on this waiting list.")
    if entry.status != WaitingStatus.waiting:
        raise OfferRefused(f"Only a waiting entry can be offered seats; this is {entry.status}.")
    now = utcnow()
    if now >= tier.sales_end:
        raise OfferRefused("This tier sells no more (its sales ended, or the event is cancelled).")
    if tier.free < entry.quantity:
        free = max(tier.free, 0)
        raise OfferRefused(
            f"{entry.quantity} seat{'s' if entry.quantity != 1 else ''} asked for, {free} free:"
            " raise the tier's capacity (the list is then offered the new seats in order),"
            " or wait for seats to come back."
        )
    _offer(session, entry, tier=tier, now=now, by=actor)
    await _hold(session, tier_id, entry.quantity)


async def settings_of(session: AsyncSession, *, tier_id: uuid.UUID) -> WaitingListSettings:
    """The tier's waiting-list choices (the defaults when it has made none)."""
    found = await session.get(WaitingListSettings, tier_id)
    return found or WaitingListSettings(tier_id=tier_id, offer_hours=DEFAULT_OFFER_HOURS, open=True)


async def save_settings(
    session: AsyncSession, *, tier_id: uuid.UUID, offer_hours: int, open_: bool
) -> None:
    if not 1 <= offer_hours <= 168:
        raise OfferRefused("An offer holds its seats for 1 to 168 hours (a week).")
    found = await session.get(WaitingListSettings, tier_id)
    if found is None:
        session.add(WaitingListSettings(tier_id=tier_id, offer_hours=offer_hours, open=open_))
    else:
        found.offer_hours, found.open = offer_hours, open_
