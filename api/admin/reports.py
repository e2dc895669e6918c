"""An event's reports: sales and revenue over time, check-ins over time and by door.

Each series is a list of `Bucket`s in the event's own zone (a day starts at the venue's
midnight), of a width chosen so a chart has at most `MAX_BUCKETS` bars (`_width`); empty
buckets between the first and last are kept, so a quiet day shows as a gap, not as nothing.

The rules come from where they already live: sold orders are `OrderStatus.sold()`; money per
order is `api.admin.figures` (gross, platform fee, refunds, disputed; net is what is left) so
the totals here equal the event page's; a guest counts at the door that admitted them first,
`sync_service.first_doors`, as on the live door. Check-ins over time count each pass once, at
its first admission (the earliest admission of the pass: the canonical first of
sync/PROTOCOL.md section 14.3 save for a phone clock that was off by more than the bucket).

"Net" is net of the platform fee, refunds and disputes: what reaches the organizer's Stripe
account. Stripe's processing fee is not the organizer's: on a destination charge the platform's
balance is debited for it (Stripe's Connect documentation, "Create destination charges"), out of
the application fee; the page says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.code_report import CodeLine, code_lines
from api.admin.figures import disputed_minor
from api.checkin.sync_service import first_doors
from api.db import Event, Order, OrderLine, OrderStatus, Scan

MAX_BUCKETS = 48
WIDTHS = (
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(days=1),
    timedelta(days=7),
    timedelta(days=30),
)


@dataclass
class Bucket:
    start: datetime
    """Local start of the bucket, in the event's zone (aware)."""
    width: timedelta
    values: dict[str, int] = field(default_factory=dict)

    def get(self, key: str) -> int:
        return self.values.get(key, 0)


@dataclass(frozen=True)
class Series:
    keys: tuple[str, ...]
    buckets: list[Bucket]

    def total(self, key: str) -> int:
        return sum(b.get(key) for b in self.buckets)


@dataclass(frozen=True)
class EventReport:
    currency: str
    sales: Series
    """keys: tickets, orders"""
    revenue: Series
    """keys: gross, fee, refunds, disputed, net"""
    checkins: Series
    """keys: checked_in"""
    doors: list[tuple[str, int]]
    """(door name, guests it admitted first), most first."""
    codes: list[CodeLine] = field(default_factory=list)
    """Each of the event's codes with what it sold (api/admin/code_report.py)."""


def _width(first: datetime, last: datetime) -> timedelta:
    span = last - first
    for width in WIDTHS:
        if span < width * MAX_BUCKETS:
            return width
    return WIDTHS[-1]


def _floor(moment: datetime, width: timedelta) -> datetime:
    """The start of the sub-day bucket holding `moment` (local, aware), from local midnight."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = int(width.total_seconds() // 60)
    since = moment.hour * 60 + moment.minute
    return day + timedelta(minutes=since - since % minutes)


def bucketed(
    points: Iterable[tuple[datetime, dict[str, int]]], *, zone: str, keys: Sequence[str]
) -> Series:
    """Values at UTC moments summed into buckets in `zone`, gaps kept. Aware arithmetic in a
    ZoneInfo zone is wall-clock arithmetic, so a day bucket starts at local midnight whatever
    the day's length; buckets of a day or more count whole days from the first point's."""
    tz = ZoneInfo(zone)
    local = sorted(((moment.astimezone(tz), values) for moment, values in points),
                   key=lambda point: point[0])  # fmt: skip
    if not local:
        return Series(tuple(keys), [])
    width = _width(local[0][0], local[-1][0])
    origin = local[0][0].replace(hour=0, minute=0, second=0, microsecond=0)
    by_index: dict[int, dict[str, int]] = {}
    for moment, values in local:
        if width >= timedelta(days=1):
            index = (moment.date() - origin.date()).days // width.days
        else:
            index = int((_floor(moment, width) - _floor(local[0][0], width)) / width)
        into = by_index.setdefault(index, {})
        for key, value in values.items():
            into[key] = into.get(key, 0) + value
    first = origin if width >= timedelta(days=1) else _floor(local[0][0], width)
    buckets = [
        Bucket(start=first + width * index, width=width, values=by_index.get(index, {}))
        for index in range(max(by_index) + 1)
    ]
    return Series(tuple(keys), buckets)


async def event_report(db: AsyncSession, *, event: Event) -> EventReport:
    zone = event.timezone
    tickets = (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.order_id == Order.id)
        .scalar_subquery()
    )
    rows = (
        await db.execute(
            select(
                Order.paid_at,
                Order.created_at,
                Order.currency,
                tickets,
                Order.total_minor,
                Order.fee_minor,
                Order.refunded_minor,
                disputed_minor(),
            ).where(Order.event_id == event.id, Order.status.in_(OrderStatus.sold()))
        )
    ).all()
    currency = rows[0][2] if rows else await _event_currency(db, event)
    sales_points = []
    money_points = []
    for paid_at, created_at, _, count, gross, fee, refunds, disputed in rows:
        moment = paid_at or created_at
        sales_points.append((moment, {"tickets": int(count), "orders": 1}))
        net = int(gross) - int(fee) - int(refunds) - int(disputed)
        money_points.append(
            (moment, {"gross": int(gross), "fee": int(fee), "refunds": int(refunds),
                      "disputed": int(disputed), "net": net})
        )  # fmt: skip
    first_in = (
        select(func.min(Scan.scanned_at).label("at"))
        .where(Scan.event_id == event.id, Scan.admitted, Scan.pass_key.is_not(None))
        .group_by(Scan.pass_key)
        .subquery()
    )
    minute = func.date_trunc("minute", first_in.c.at)
    per_minute = (await db.execute(select(minute, func.count()).group_by(minute))).all()
    checkin_points = [(at, {"checked_in": int(n)}) for at, n in per_minute]
    doors = await first_doors(db, event_id=event.id)
    return EventReport(
        currency=currency,
        sales=bucketed(sales_points, zone=zone, keys=("tickets", "orders")),
        revenue=bucketed(
            money_points, zone=zone, keys=("gross", "fee", "refunds", "disputed", "net")
        ),
        checkins=bucketed(checkin_points, zone=zone, keys=("checked_in",)),
        doors=sorted(doors.items(), key=lambda item: (-item[1], item[0].lower())),
        codes=await code_lines(db, event=event),
    )


async def _event_currency(db: AsyncSession, event: Event) -> str:
    """The event's currency (one per event, `api.events.currency`), before any sale too."""
    return event.currency


def label(bucket: Bucket) -> str:
    """The bucket as a reader names it: "Jun 1" for a day, "Jun 1 19:30" for less."""
    if bucket.width >= timedelta(days=1):
        return f"{bucket.start:%b} {bucket.start.day}"
    return f"{bucket.start:%b} {bucket.start.day} {bucket.start:%H:%M}"
