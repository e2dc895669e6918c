"""The tables of an organizer's export: columns, and the rows read from a server-side cursor.

Each table is an async generator of partitions (lists of CSV rows, 1,000 at a time), scoped to a
list of organizer ids or to every organizer (`None`, the operator). The CSV writing and the zip
are in `api.admin.exports`; only what each row says lives here.

Amounts come twice: `…_minor` in the currency's minor unit as Stripe counts it (what the database
and Stripe hold), and beside it the same amount as a spreadsheet reads it, in major units with the
currency's own decimals (`25.00` USD, `1500` JPY: `api.currencies.plain`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, TypeAlias, TypeVarTuple

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.sync_service import conflicts as find_conflicts
from api.checkout.holders import holder_name
from api.currencies import plain
from api.db import (
    Attendee,
    AuditEntry,
    Code,
    Event,
    Order,
    OrderLine,
    Organizer,
    PartnerSite,
    Pass,
    Refund,
    Scan,
    ScannerDevice,
    TicketTier,
)
from api.passes.tokens import pass_key_text

Scope: TypeAlias = list[uuid.UUID] | None
"""The organizers exported; None: every organizer (the operator)."""
Rows: TypeAlias = AsyncIterator[list[list[Any]]]
PARTITION = 1000
_Ts = TypeVarTuple("_Ts")

ORDER_COLUMNS = [
    "order_id", "created_at", "paid_at", "event", "buyer_email", "buyer_name", "tickets",
    "currency", "total_minor", "platform_fee_minor", "refunded_minor", "status", "source_site",
    "source",
    "code", "discount_minor",
    "total", "platform_fee", "refunded", "partner_origin",
]  # fmt: skip
REFUND_COLUMNS = [
    "refund_id", "order_id", "event", "buyer_email", "amount_minor", "currency", "status",
    "reason", "passes", "initiated_by", "created_at", "updated_at", "amount",
]  # fmt: skip
PASS_COLUMNS = [
    "pass_id", "order_id", "event", "tier", "buyer_email", "status", "void_reason", "issued_at",
    "holder_name",
]  # fmt: skip
EVENT_SCAN_COLUMNS = [
    "device", "door", "seq", "pass_id", "verdict", "admitted", "scanned_at_device",
    "received_at_server", "double_admission",
]  # fmt: skip
"""One event's scans CSV (the door page's download); the export's scans table adds the event."""
SCAN_COLUMNS = ["event", *EVENT_SCAN_COLUMNS]
EVENT_COLUMNS = [
    "event_id", "organizer", "slug", "name", "venue", "starts_at", "ends_at", "timezone",
    "published", "created_at",
]  # fmt: skip
TIER_COLUMNS = [
    "tier_id", "event", "name", "currency", "price_minor", "capacity", "sold", "held",
    "sales_start", "sales_end", "max_per_order", "price",
]  # fmt: skip
AUDIT_COLUMNS = ["created_at", "organizer", "actor", "action", "target", "details"]


def _at(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _scoped(query: Select[*_Ts], scope: Scope) -> Select[*_Ts]:
    """`query` (which joins Event) limited to the scope's organizers."""
    return query if scope is None else query.where(Event.organizer_id.in_(scope))


async def _partitions(db: AsyncSession, query: Select[*_Ts]) -> AsyncIterator[list[Any]]:
    result = await db.stream(query.execution_options(yield_per=PARTITION))
    async for partition in result.partitions():
        yield list(partition)


async def order_rows(db: AsyncSession, scope: Scope) -> Rows:
    label = TicketTier.name + " x" + cast(OrderLine.quantity, String)
    tickets = (
        select(OrderLine.order_id, func.string_agg(label, "; ").label("tickets"))
        .join(TicketTier, TicketTier.id == OrderLine.tier_id)
        .group_by(OrderLine.order_id)
        .subquery()
    )
    query = (
        select(Order, Event.name, tickets.c.tickets, Code.code, PartnerSite.origin)
        .join(Event, Event.id == Order.event_id)
        .outerjoin(tickets, tickets.c.order_id == Order.id)
        .outerjoin(Code, Code.id == Order.code_id)
        .outerjoin(PartnerSite, PartnerSite.id == Order.partner_site_id)
        .order_by(Order.created_at, Order.id)
    )
    async for partition in _partitions(db, _scoped(query, scope)):
        yield [
            [
                order.public_id, _at(order.created_at), _at(order.paid_at), event_name,
                order.buyer_email, order.buyer_name, ticket_text or "", order.currency,
                order.total_minor, order.fee_minor, order.refunded_minor, order.status,
                order.source_site or "", order.source, code or "", order.discount_minor,
                plain(order.total_minor, order.currency),
                plain(order.fee_minor, order.currency), plain(order.refunded_minor, order.currency),
                partner or "",
            ]
            for order, event_name, ticket_text, code, partner in partition
        ]  # fmt: skip


async def refund_rows(db: AsyncSession, scope: Scope) -> Rows:
    query = (
        select(Refund, Order.public_id, Order.buyer_email, Event.name)
        .join(Order, Order.id == Refund.order_id)
        .join(Event, Event.id == Order.event_id)
        .order_by(Refund.created_at, Refund.id)
    )
    async for partition in _partitions(db, _scoped(query, scope)):
        yield [
            [
                refund.stripe_refund_id or str(refund.id), public_id, event_name, email,
                refund.amount_minor, refund.currency, refund.status, refund.reason,
                refund.pass_ids.replace(",", " "), refund.initiated_by, _at(refund.created_at),
                _at(refund.updated_at), plain(refund.amount_minor, refund.currency),
            ]
            for refund, public_id, email, event_name in partition
        ]  # fmt: skip


async def pass_rows(db: AsyncSession, scope: Scope) -> Rows:
    query = (
        select(Pass, Order.public_id, Order.buyer_email, Event.name, TicketTier.name, holder_name())
        .join(Order, Order.id == Pass.order_id)
        .join(Event, Event.id == Pass.event_id)
        .join(TicketTier, TicketTier.id == Pass.tier_id)
        .outerjoin(Attendee, Attendee.pass_id == Pass.id)
        .order_by(Pass.created_at, Pass.id)
    )
    async for partition in _partitions(db, _scoped(query, scope)):
        yield [
            [
                pass_key_text(item.pass_key), public_id, event_name, tier_name, email,
                item.status, item.void_reason or "", _at(item.created_at), holder,
            ]
            for item, public_id, email, event_name, tier_name, holder in partition
        ]  # fmt: skip


async def scan_rows(db: AsyncSession, scope: Scope) -> Rows:
    """Event by event, the rows of `event_scans` after the event's name."""
    events = (await db.execute(_scoped(select(Event.id, Event.name), scope))).all()
    for event_id, event_name in sorted(events, key=lambda row: (row[1], row[0])):
        async for partition in event_scans(db, event_id):
            yield [[event_name, *row] for row in partition]


async def event_scans(db: AsyncSession, event_id: uuid.UUID) -> Rows:
    """One event's scans, each flagged when it is a double admission: the sync core's verdict,
    `conflict` or `override` (`sync.conflicts`, the rule the phones use)."""
    flagged = {
        (c["other"]["device"], c["other"]["seq"]): c["kind"]
        for c in await find_conflicts(db, event_id=event_id)
    }
    query = (
        select(Scan, ScannerDevice.name)
        .join(ScannerDevice, ScannerDevice.id == Scan.device_id)
        .where(Scan.event_id == event_id)
        .order_by(Scan.scanned_at, Scan.device_id, Scan.seq)
    )
    async for partition in _partitions(db, query):
        yield [
            [
                str(scan.device_id), scan.door or device_name, scan.seq,
                pass_key_text(scan.pass_key) if scan.pass_key else "", scan.verdict,
                "yes" if scan.admitted else "no", _at(scan.scanned_at),
                _at(scan.received_at), flagged.get((str(scan.device_id), scan.seq), ""),
            ]
            for scan, device_name in partition
        ]  # fmt: skip


async def event_rows(db: AsyncSession, scope: Scope) -> Rows:
    query = (
        select(Event, Organizer.name)
        .join(Organizer, Organizer.id == Event.organizer_id)
        .order_by(Event.starts_at, Event.id)
    )
    async for partition in _partitions(db, _scoped(query, scope)):
        yield [
            [
                str(event.id), organizer_name, event.slug, event.name, event.venue,
                _at(event.starts_at), _at(event.ends_at), event.timezone,
                "yes" if event.published else "no", _at(event.created_at),
            ]
            for event, organizer_name in partition
        ]  # fmt: skip


async def tier_rows(db: AsyncSession, scope: Scope) -> Rows:
    query = (
        select(TicketTier, Event.name)
        .join(Event, Event.id == TicketTier.event_id)
        .order_by(Event.starts_at, Event.id, TicketTier.position, TicketTier.id)
    )
    async for partition in _partitions(db, _scoped(query, scope)):
        yield [
            [
                str(tier.id), event_name, tier.name, tier.currency, tier.price_minor,
                tier.capacity, tier.sold, tier.held, _at(tier.sales_start), _at(tier.sales_end),
                tier.max_per_order, plain(tier.price_minor, tier.currency),
            ]
            for tier, event_name in partition
        ]  # fmt: skip


async def audit_rows(db: AsyncSession, scope: Scope) -> Rows:
    """The organizers' entries (every entry names its organizer: api/audit.py); the operator's
    full export also has the platform's own, which name none."""
    query = (
        select(AuditEntry, Organizer.name)
        .outerjoin(Organizer, Organizer.id == AuditEntry.organizer_id)
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    if scope is not None:
        query = query.where(AuditEntry.organizer_id.in_(scope))
    async for partition in _partitions(db, query):
        yield [
            [
                _at(entry.created_at), organizer_name or "", entry.actor, entry.action,
                entry.target, json.dumps(entry.details, sort_keys=True, default=str),
            ]
            for entry, organizer_name in partition
        ]  # fmt: skip


TABLES: dict[str, tuple[list[str], Callable[[AsyncSession, Scope], Rows]]] = {
    "orders": (ORDER_COLUMNS, order_rows),
    "refunds": (REFUND_COLUMNS, refund_rows),
    "passes": (PASS_COLUMNS, pass_rows),
    "scans": (SCAN_COLUMNS, scan_rows),
    "events": (EVENT_COLUMNS, event_rows),
    "tiers": (TIER_COLUMNS, tier_rows),
    "audit": (AUDIT_COLUMNS, audit_rows),
}
