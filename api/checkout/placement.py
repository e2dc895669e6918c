"""Placing an order in one SQL statement, committed the moment it ends.

Every buyer of an event writes the same two rows: the tier's (`sold`/`held` against
`capacity`) and, for free tickets, the event's (`change_seq`, the server's sync counter). A row
stays locked until its transaction commits, so a checkout that takes those rows and then makes
more round trips keeps every other buyer of the event waiting for its own event loop: under an
on-sale spike that loop is busy with a hundred other requests, and the sale ran one buyer at a
time at the speed of the busiest worker (bench/README.md, "On-sale spike").

Here the seats, the order and its lines — and for a free order its passes, their sync changes
and the confirmation email (`api.passes.services.ISSUE`, the text a paid order's fulfilment
runs too) — are one statement of data-modifying CTEs, sent on a connection in autocommit:
PostgreSQL commits it as it finishes, and the hot rows are locked for the statement's own
execution (well under a millisecond), never for a round trip to the app. The passes are signed
by the event's active key, read in the statement, so no process keeps a copy to go stale when
the key rotates.

The seats are taken without a `WHERE sold + held + n <= capacity`: past capacity the tier's
CHECK `never_oversold` fails, and that error undoes the whole statement (every tier, the order,
the passes), so an order of several tiers is all or nothing. The CHECK was already the last line
of defence against overselling; here it is the arbiter.

A tier that is already sold out refuses without touching a row: the statement first reads the
tiers' committed counts without a lock (`short`), and when one cannot seat its line, it writes
nothing, takes no row, moves no counter and names that tier, in one round trip with no error to
recover from. (The UPDATE alone took the order's tiers one by one: a tier with seats whose row
a sale in flight held kept the order waiting, although another of its tiers was sold out.) A
tier that still shows seats is taken and the CHECK decides: a line that the sales in flight
leave short waits for them, then fails (bench/README.md, "Sold-out burst").

A paid order also takes its seats from its holders' allowances (the client address and the
buyer's email, api/checkout/holds.py) in the same statement, the same way: an upsert that
queues behind a concurrent checkout of the same holder and re-reads its row, and a CHECK
(`within_cap`) whose error undoes everything. A count of pending orders could not do this: in
one statement it cannot see an order committed by another checkout after the statement began.

An order with a discount or access code takes one of the code's uses in the same statement,
the same way (`api.checkout.codes.REDEEM`, the CHECK `within_limit`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import TextClause, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import attendees, codes, holds
from api.db import Order, OrderStatus, TicketTier, uuid7
from api.outgoing import hooks as outgoing
from api.passes import keys
from api.passes import services as passes

OVERSOLD = "ck_ticket_tier_never_oversold"
OVER_CAP = "ck_hold_allowance_within_cap"

_WANTED = """
    wanted AS (
        SELECT * FROM unnest(
            CAST(:line_ids AS uuid[]), CAST(:tier_ids AS uuid[]),
            CAST(:quantities AS integer[]), CAST(:prices AS integer[])
        ) AS w(line_id, tier_id, quantity, price)
    ),
    short AS (
        SELECT t.id FROM ticket_tier AS t JOIN wanted AS w ON t.id = w.tier_id
        WHERE t.sold + t.held + w.quantity > t.capacity
           -- a cancelled event sells nothing, whatever page the buyer had (cancellation.py)
           OR EXISTS (SELECT FROM event AS e WHERE e.id = :event_id AND e.cancelled_at IS NOT NULL)
    ),
    locked AS (
        SELECT t.id FROM ticket_tier AS t
        WHERE t.id = ANY(CAST(:tier_ids AS uuid[])) AND NOT EXISTS (SELECT FROM short)
        ORDER BY t.id
        FOR NO KEY UPDATE
    ),
    seats AS (
        UPDATE ticket_tier AS t SET {counter} = t.{counter} + w.quantity
        FROM wanted AS w JOIN locked AS l ON l.id = w.tier_id
        WHERE t.id = w.tier_id
        RETURNING t.id
    ),
    placed AS (
        INSERT INTO "order" (id, public_id, event_id, buyer_email, buyer_name, status, source,
                             currency, total_minor, fee_minor, refunded_minor, source_site,
                             hold_expires_at, hold_client, paid_at, created_at, code_id, language,
                             discount_minor, partner_site_id)
        SELECT :order_id, :public_id, :event_id, :email, :name, :status, :source,
               :currency, :total,
               :fee, 0, :source_site, :hold_expires_at, :hold_client, {paid_at}, now(),
               :code_id, :language, :discount, :partner_site_id
        WHERE NOT EXISTS (SELECT FROM short)
        RETURNING id
    ),
    lines AS (
        INSERT INTO order_line (id, order_id, tier_id, quantity, unit_price_minor)
        SELECT w.line_id, placed.id, w.tier_id, w.quantity, w.price FROM wanted AS w, placed
    )"""

# Joined with the finished `seats`, so an allowance row is only ever locked after the tiers'
# rows, in the same order as a hold's release (tiers, then allowances): no deadlock between them.
_ALLOWANCE = """,
    allowance AS (
        INSERT INTO hold_allowance (holder, seats, cap)
        SELECT h.holder, :held_seats, :cap
        FROM unnest(CAST(:holders AS text[])) WITH ORDINALITY AS h(holder, n),
             (SELECT count(*) FROM seats) AS taken
        WHERE NOT EXISTS (SELECT FROM short)
        ORDER BY h.n
        ON CONFLICT (holder) DO UPDATE
            SET seats = hold_allowance.seats + EXCLUDED.seats, cap = EXCLUDED.cap
        RETURNING holder
    )"""

_RESULT = "\nSELECT (SELECT count(*) FROM seats) AS seated, ARRAY(SELECT id FROM short) AS short"

FREE_SALE = text(
    "WITH"
    + _WANTED.format(counter="sold", paid_at="now()")
    + codes.REDEEM.format(after="seats")
    + ","
    + passes.ISSUE
    + ","
    + outgoing.ANNOUNCE_FREE
    + _RESULT
)
"""A free order: the seats sold, the order paid, its passes issued, its email queued and, for
an organizer with endpoints, its `order.paid` webhook (api/outgoing/hooks.py)."""

HOLD = text(
    "WITH"
    + _WANTED.format(counter="held", paid_at="NULL")
    + _ALLOWANCE
    + codes.REDEEM.format(after="allowance")
    + _RESULT
)
"""A paid order: the seats held for the Stripe Checkout Session, counted against its holders'
allowances; the webhook sells them."""


class OverHoldCap(Exception):
    """A holder of the order (`holder`: `ip:…` or `email:…`) would hold more than its cap of
    unpaid seats; nothing was written."""

    def __init__(self, holder: str, cap: int) -> None:
        super().__init__(holder)
        self.holder = holder
        self.cap = cap


class CodeUsedUp(Exception):
    """The order's code has no use left (`max_uses` reached meanwhile); nothing was written."""


class SoldOut(Exception):
    """Some tier of the order has fewer seats left than asked for; nothing was written.
    `lines`: the order's lines whose tier could not seat them."""

    def __init__(self, lines: list[Line]) -> None:
        super().__init__(", ".join(line.tier_name for line in lines))
        self.lines = lines

    @property
    def tier_names(self) -> list[str]:
        return [line.tier_name for line in self.lines]


@dataclass(frozen=True)
class Line:
    """One tier of the order, as plain values (a rollback expires ORM objects)."""

    tier_id: uuid.UUID
    tier_name: str
    unit_price_minor: int
    quantity: int

    @classmethod
    def of(cls, tier: TicketTier, quantity: int) -> Line:
        return cls(tier.id, tier.name, tier.price_minor, quantity)


async def place(
    session: AsyncSession,
    *,
    order: Order,
    lines: list[Line],
    free: bool,
    secret_key: str,
    client: str | None = None,
    confirm: bool = True,
    details: Sequence[attendees.Ticket] = (),
) -> Order:
    """Write `order` (a new, unsaved Order) with its `lines` in one committed statement.

    `free`: the order is written paid, with its passes, their sync changes and the
    confirmation email (an event with no signing key yet gets one, made with `secret_key`).
    Otherwise the seats are held for a paid checkout, counted against the allowances of
    `client` (its address key) and the buyer's email.
    With `order.code_id`, the code's use is taken in the same statement (api/checkout/codes.py).
    Raises SoldOut, OverHoldCap or CodeUsedUp (and writes nothing) when a tier has not enough
    seats left, a holder would pass its cap or the code has no use left.

    `details`: the tickets' attendee details (api/checkout/attendees.py), written in the order's
    transaction: the order and its details are kept together or not at all.

    When `session` has no transaction open (and no details are to be kept), the statement runs on
    its connection in autocommit; otherwise it joins the caller's transaction, which is then
    committed (or rolled back).
    """
    if details and not session.in_transaction():
        await session.connection()  # a transaction, which the statement joins
    order.id = order.id or uuid7()
    # Every order takes its tiers' rows in the same order (by id: the statement's `locked`, as
    # an UPDATE … FROM locks rows in whatever order its join plan meets them), so two orders
    # of the same tiers queue behind each other instead of deadlocking.
    lines = sorted(lines, key=lambda line: line.tier_id)
    order.status = OrderStatus.paid if free else OrderStatus.pending
    params: dict[str, object] = {
        "line_ids": [uuid7() for _ in lines],
        "tier_ids": [line.tier_id for line in lines],
        "quantities": [line.quantity for line in lines],
        "prices": [line.unit_price_minor for line in lines],
        "event_id": order.event_id,
        "order_id": order.id,
        "public_id": order.public_id,
        "email": order.buyer_email,
        "name": order.buyer_name,
        "status": str(order.status),
        "source": order.source or "sale",
        "currency": order.currency,
        "total": order.total_minor,
        "fee": order.fee_minor,
        "source_site": order.source_site,
        "hold_expires_at": order.hold_expires_at,
        "hold_client": None,
        "code_id": order.code_id,
        "language": order.language,  # the buyer's, for its emails (api/i18n/)
        "discount": order.discount_minor or 0,
        "partner_site_id": order.partner_site_id,
    }
    if free:
        params |= passes.issue_params(
            order_id=order.id,
            event_id=order.event_id,
            lines=[(line.tier_id, line.quantity) for line in lines],
            confirm=confirm,  # False: a comp issued with no email (api/checkout/comps.py)
        ) | {"announce_id": uuid7(), "webhook_types": outgoing.ANNOUNCED}
    else:
        seats = sum(line.quantity for line in lines)
        order.hold_client = client or "unknown"
        params |= {
            "hold_client": order.hold_client,
            "held_seats": seats,
            "cap": holds.hold_cap(seats),
            "holders": holds.holders(email=order.buyer_email, client=order.hold_client),
        }
    statement = FREE_SALE if free else HOLD
    if free and session.in_transaction():
        # A failed statement would undo the caller's transaction: make sure of the key first.
        await keys.active_key(session, event_id=order.event_id, secret_key=secret_key)
    short = await _run(session, statement, params, order=order, lines=lines)
    if short is None:
        # An event made before events got their key at creation: make it (once, whatever the
        # race: keys.active_key), then sell.
        await keys.active_key(session, event_id=order.event_id, secret_key=secret_key)
        await session.commit()
        short = await _run(session, statement, params, order=order, lines=lines)
        if short is None:
            raise LookupError(f"event {order.event_id} has no active signing key")
    if short:
        await session.rollback()
        raise SoldOut([line for line in lines if line.tier_id in short])
    if details:
        await attendees.add_details(session, order_id=order.id, tickets=details)
    await session.commit()
    return order


async def _run(
    session: AsyncSession,
    statement: TextClause,
    params: dict[str, object],
    *,
    order: Order,
    lines: list[Line],
) -> set[uuid.UUID] | None:
    """Run the order's statement: the tiers it found short without waiting (nothing written
    then; none when the order was written), or None when the event has no signing key (nothing
    written). Raises SoldOut, OverHoldCap or CodeUsedUp when a constraint refused it."""
    if session.in_transaction():
        connection = await session.connection()
    else:
        connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        result = (await connection.execute(statement, params)).one()
    except IntegrityError as exc:
        await session.rollback()
        if passes.missing_key(exc):
            return None
        raise await _refusal(session, exc, order, lines) from exc
    return set(result.short)


async def _refusal(
    session: AsyncSession, exc: IntegrityError, order: Order, lines: list[Line]
) -> SoldOut | OverHoldCap | CodeUsedUp:
    """What the statement's failure (rolled back) means for the buyer; raises `exc` again
    when it is no refusal."""
    constraint = _constraint(exc)
    if constraint == codes.OVER_LIMIT:
        return CodeUsedUp()
    if constraint == OVER_CAP:
        seats = sum(line.quantity for line in lines)
        return await _over_cap(session, order, seats=seats)
    if constraint != OVERSOLD:
        raise exc
    if len(lines) == 1:  # the one tier it names is the one short: no need to ask which
        return SoldOut([lines[0]])
    return SoldOut(await _short_tiers(session, lines))


def _constraint(exc: IntegrityError) -> str | None:
    cause = exc.orig.__cause__ if exc.orig is not None else None
    name = getattr(cause, "constraint_name", None)
    for known in (OVERSOLD, OVER_CAP, codes.OVER_LIMIT):
        if name is None and known in str(exc.orig):
            return known
    return name


async def _over_cap(session: AsyncSession, order: Order, *, seats: int) -> OverHoldCap:
    """Which holder the refused checkout would have taken past its cap (for the message)."""
    cap = holds.hold_cap(seats)
    names = holds.holders(email=order.buyer_email, client=order.hold_client)
    rows = await session.execute(
        text("SELECT holder, seats FROM hold_allowance WHERE holder = ANY(CAST(:h AS text[]))"),
        {"h": names},
    )
    held = {row.holder: row.seats for row in rows}
    await session.rollback()
    over = [name for name in names if held.get(name, 0) + seats > cap]
    # The address first: it is the one a buyer cannot change by typing another email.
    over.sort(key=lambda name: not name.startswith("ip:"))
    return OverHoldCap(over[0] if over else names[0], cap)


async def _short_tiers(session: AsyncSession, lines: list[Line]) -> list[Line]:
    """The lines whose tier cannot seat them now (for the buyer's message)."""
    wanted = {line.tier_id: line for line in lines}
    rows = await session.execute(
        text(
            "SELECT id, sold + held AS taken, capacity FROM ticket_tier "
            "WHERE id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": list(wanted)},
    )
    short = [wanted[row.id] for row in rows if row.taken + wanted[row.id].quantity > row.capacity]
    await session.rollback()
    return short or lines
