"""Comps and guest lists: free passes staff issue to names, one by one or from a CSV file.

A comp is an order like any other, placed by the one placement path (api/checkout/placement.py
with `free=True`, its passes issued by `api.passes.services.ISSUE`): it takes seats from its
tier's `sold` counter (the tier's CHECK refuses a comp past capacity, as it refuses a sale), its
passes reach the door at the next pull, and the exports show it with `source` = `comp`. Its
price is 0 whatever the tier's price, and Stripe never hears of it. The email of its passes is
the confirmation every sale sends, queued only when staff ask for it and the guest has an
address (`confirm`). The audit entry commits in the placement's own transaction.

A CSV import is checked whole before anything is issued: a file with any bad row issues
nothing and says what is wrong with each row, and a file asking more seats of a tier than it
has left is refused the same way. Rows are then issued one by one; if seats run out mid-way (a
sale took them meanwhile) the import stops and the report names the rows issued and those not.

Attendee details: when the event asks a name per ticket or questions (api/checkout/attendees.py),
a comp keeps them per ticket as a sale does, read and checked by the same code (`blank`,
`read`) and kept with the order (`placement.place`). Staff issuing one guest's passes get the
tickets' fields after the guest's (each name filled in with the guest's); a CSV row names every
ticket it issues after its
`name` column. Staff may leave any question blank, required or not: the guest is often not
there to answer, and the question is the organizer's own (`staff_asked`); an answer given is
checked as a buyer's is. A required name stays required (the guest's is filled in for them).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import secrets
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.checkout import attendees, placement
from api.db import Event, Order, OrderStatus, TicketTier
from api.errors import Invalid, Refused
from api.mail.addresses import deliverable

SOURCE = "comp"
MAX_QUANTITY = 100
MAX_ROWS = 2000
MAX_BYTES = 1_000_000
COLUMNS = ("name", "email", "tier", "quantity")


@dataclass(frozen=True)
class Guest:
    name: str
    email: str
    """Lower case; empty when the guest gave none (the passes are then not emailed)."""
    tier: TicketTier
    quantity: int


@dataclass
class RowReport:
    line: int
    """The row's line in the file (the header is line 1)."""
    name: str
    errors: list[str] = field(default_factory=list)
    issued: str | None = None
    """The order's public id once issued."""


@dataclass
class ImportReport:
    rows: list[RowReport]
    issued: int = 0
    stopped: str | None = None
    """Why issuing stopped before the end (seats ran out meanwhile), or None."""

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.errors)


def _tier(tiers: list[TicketTier], wanted: str) -> TicketTier | None:
    wanted = wanted.strip()
    if not wanted and len(tiers) == 1:
        return tiers[0]
    for tier in tiers:
        if str(tier.id) == wanted or tier.name.casefold() == wanted.casefold():
            return tier
    return None


def read_guest(
    tiers: list[TicketTier], *, name: str, email: str, tier: str, quantity: str
) -> tuple[Guest | None, list[str]]:
    """One guest from a form or a CSV row: the guest, or every reason it cannot be issued."""
    errors = []
    name = " ".join(name.split())
    if not name:
        errors.append("A name is required.")
    elif len(name) > 200 or "\x00" in name:
        errors.append("The name is longer than 200 characters or has characters we cannot use.")
    address = email.strip().lower()
    if address and not deliverable(address):
        errors.append(f"{email.strip()!r} is not an email address we can send to.")
    found = _tier(tiers, tier)
    if found is None:
        names = ", ".join(t.name for t in tiers) or "none yet"
        errors.append(f"No tier {tier.strip()!r} in this event (its tiers: {names}).")
    raw = quantity.strip() or "1"
    count = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else 0
    if not 1 <= count <= MAX_QUANTITY:
        errors.append(f"The quantity must be a whole number from 1 to {MAX_QUANTITY}.")
    if errors or found is None:
        return None, errors
    return Guest(name=name, email=address, tier=found, quantity=count), []


def staff_asked(ask: attendees.Asked) -> attendees.Asked:
    """What a comp asks of staff: the event's names and questions, every question optional
    (see the module's docstring)."""
    relaxed = tuple(dataclasses.replace(q, required=False) for q in ask.questions)
    return attendees.Asked(names=ask.names, questions=relaxed)


def asks_of(ask: attendees.Asked, guest: Guest) -> bool:
    """Whether the event asks anything of the guest's tickets."""
    return ask.names != "off" or bool(ask.for_tier(guest.tier.id))


def named_tickets(ask: attendees.Asked, guest: Guest) -> list[attendees.Ticket]:
    """The guest's tickets, each named after the guest (no answers yet); none when the event
    asks nothing of them."""
    if not asks_of(ask, guest):
        return []
    tickets = attendees.blank(staff_asked(ask), [(guest.tier, guest.quantity)])
    if ask.names != "off":
        for ticket in tickets:
            ticket.name = guest.name
    return tickets


def read_details(ask: attendees.Asked, guest: Guest, data: Mapping[str, str]) -> attendees.Details:
    """The guest's tickets' details as staff sent them (`attendees.read`, questions optional)."""
    return attendees.read(staff_asked(ask), [(guest.tier, guest.quantity)], data)


async def tiers_of(db: AsyncSession, event: Event) -> list[TicketTier]:
    rows = await db.scalars(
        select(TicketTier)
        .where(TicketTier.event_id == event.id)
        .order_by(TicketTier.position, TicketTier.name)
    )
    return list(rows)


async def issue_comp(
    db: AsyncSession, *, event: Event, guest: Guest, send_email: bool, actor: str, secret_key: str,
    tickets: Sequence[attendees.Ticket] = (),
) -> Order:  # fmt: skip
    """Issue a guest's free passes (committed), with their tickets' attendee details
    (`tickets`, when the event asks any); Refused when the tier has too few seats left."""
    if event.cancelled_at is not None:
        raise Refused("This event is cancelled: no passes are issued.")
    order = Order(
        public_id=secrets.token_urlsafe(16),
        event_id=event.id,
        buyer_email=guest.email,
        buyer_name=guest.name,
        currency=guest.tier.currency,
        total_minor=0,
        fee_minor=0,
        source=SOURCE,
    )
    organizer_id, tier_id, tier_name = event.organizer_id, guest.tier.id, guest.tier.name
    emailed = send_email and bool(guest.email)
    audit.record(
        db, organizer_id=organizer_id, actor=actor, action="comp.issued",
        target=order.public_id,
        details={"name": guest.name, "email": guest.email, "tier": tier_name,
                 "quantity": guest.quantity, "emailed": emailed},
    )  # fmt: skip
    await db.flush()  # the audit entry opens the transaction the placement joins and commits
    try:
        await placement.place(
            db, order=order, lines=[placement.Line(tier_id, tier_name, 0, guest.quantity)],
            free=True, secret_key=secret_key, confirm=emailed, details=tickets,
        )  # fmt: skip
    except placement.SoldOut as exc:
        left = await db.scalar(
            select(TicketTier.capacity - TicketTier.sold - TicketTier.held).where(
                TicketTier.id == tier_id
            )
        )
        raise Refused(
            f"Not enough seats left in {tier_name} for {guest.quantity} more"
            f" ({max(int(left or 0), 0)} left): comps count against capacity."
        ) from exc
    return order


def _rows(raw: bytes) -> list[dict[str, str]]:
    if len(raw) > MAX_BYTES:
        raise Invalid(f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("The file is not UTF-8 text: save it as CSV (UTF-8).") from exc
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        lines = [row for row in reader]
    except csv.Error as exc:
        raise Invalid(f"The file is not readable CSV: {exc}.") from exc
    lines = [row for row in lines if any(cell.strip() for cell in row)]
    if not lines:
        raise Invalid("The file is empty.")
    header = [cell.strip().lower() for cell in lines[0]]
    if "name" not in header:
        raise Invalid("The first row must name the columns: name, email, tier, quantity.")
    unknown = [cell for cell in header if cell and cell not in COLUMNS]
    if unknown:
        raise Invalid(f"Unknown columns {unknown}: use name, email, tier, quantity.")
    if len(lines) - 1 > MAX_ROWS:
        raise Invalid(f"At most {MAX_ROWS} guests per file.")
    return [
        {column: (row[i] if i < len(row) else "") for i, column in enumerate(header) if column}
        for row in lines[1:]
    ]


async def import_guests(
    db: AsyncSession, *, event: Event, raw: bytes, send_email: bool, actor: str, secret_key: str
) -> ImportReport:
    """Issue every guest of a CSV file, or none when a row is wrong (see the module docstring)."""
    tiers = await tiers_of(db, event)
    ask = await attendees.read_asked(db, event=event)
    rows = _rows(raw)
    report = ImportReport(rows=[])
    guests: list[Guest | None] = []
    for line, fields in enumerate(rows, start=2):
        guest, errors = read_guest(
            tiers, name=fields.get("name", ""), email=fields.get("email", ""),
            tier=fields.get("tier", ""), quantity=fields.get("quantity", ""),
        )  # fmt: skip
        name = fields.get("name", "").strip()
        report.rows.append(RowReport(line=line, name=name, errors=errors))
        guests.append(guest)
    if not report.rows:
        raise Invalid("The file has a header but no guests.")
    wanted = Counter[uuid.UUID]()
    for guest in guests:
        if guest is not None:
            wanted[guest.tier.id] += guest.quantity
    for tier in tiers:
        left = tier.capacity - tier.sold - tier.held
        if wanted[tier.id] > left:
            for row, guest in zip(report.rows, guests, strict=True):
                if guest is not None and guest.tier.id == tier.id:
                    row.errors.append(
                        f"{tier.name} has {max(left, 0)} seats left; this file asks for"
                        f" {wanted[tier.id]}."
                    )
    if report.errors:
        return report  # nothing issued: fix the file and send it again
    for row, guest in zip(report.rows, guests, strict=True):
        assert guest is not None
        try:
            order = await issue_comp(
                db, event=event, guest=guest, send_email=send_email, actor=actor,
                secret_key=secret_key, tickets=named_tickets(ask, guest),
            )  # fmt: skip
        except Refused as exc:
            row.errors.append(exc.message)
            report.stopped = f"Stopped at line {row.line}: {exc.message}"
            break
        row.issued = order.public_id
        report.issued += 1
    return report


async def comps_of(db: AsyncSession, *, event: Event) -> list[Order]:
    """The event's comps, newest first."""
    rows = await db.scalars(
        select(Order)
        .where(Order.event_id == event.id, Order.source == SOURCE)
        .where(Order.status.in_((*OrderStatus.sold(), OrderStatus.cancelled)))
        .order_by(Order.created_at.desc())
    )
    return list(rows)
