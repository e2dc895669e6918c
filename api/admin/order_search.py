"""Finding orders on the dashboard: by the buyer's name or email, the order reference the buyer
reads out ("K7Q2MXP4", `Order.reference`) or the public id of their link, filtered by event,
tier and status, a page of `PAGE_SIZE` at a time with the total count (no cap: page 40 of
2,000 orders is as reachable as page 1).

Only the orders of the organizers the caller names are ever looked at; `api.admin.orders` passes
the ones whose money the viewer handles (`sales_organizers`). The order is newest first, with the
id as the tie-break so a page boundary never drops or repeats an order.

The reference is not stored: it is the last 40 bits of the order's id (`order_reference`), that
is the last 10 hex digits of the id's text, so a typed reference is decoded to those digits and
matched there.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, String, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api.db import Attendee, Event, Order, OrderLine, OrderStatus
from api.db.orders import PUBLIC_ID
from api.errors import Invalid

PAGE_SIZE = 50
MAX_TERM = 200

STATUSES = tuple(OrderStatus)
"""The statuses the filter offers, in the model's order."""

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "-": None, " ": None})
"""How people mistype Crockford base32 (it has no I, L, O), and the separators they add."""


@dataclass(frozen=True)
class OrderQuery:
    """What the orders page asks for; `page` counts from 1."""

    text: str = ""
    status: str = ""
    event_id: uuid.UUID | None = None
    tier_id: uuid.UUID | None = None
    page: int = 1

    @classmethod
    def read(
        cls,
        *,
        text: str = "",
        status: str = "",
        event_id: uuid.UUID | None = None,
        tier_id: uuid.UUID | None = None,
        page: int = 1,
    ) -> OrderQuery:
        """The query as typed: the text trimmed (at most 200 characters), the status checked.
        Raises Invalid for a status that does not exist or a page below 1."""
        status = status.strip()
        problems = []
        if status and status not in STATUSES:
            problems.append(f"No order status is called {status[:40]!r}.")
        if page < 1:
            problems.append("Pages count from 1.")
        if problems:
            raise Invalid(*problems)
        term = text.replace("\x00", "").strip()[:MAX_TERM]
        return cls(text=term, status=status, event_id=event_id, tier_id=tier_id, page=page)

    @classmethod
    def from_form(cls, fields: Mapping[str, str | list[str]]) -> OrderQuery:
        """The query from the orders page's fields (its address, or the hidden fields the bulk
        resend carries back): empty fields mean "any"; Invalid for an event or tier id that is
        no id, or a page that is no number."""

        def one(name: str) -> str:
            value = fields.get(name, "")
            return value if isinstance(value, str) else (value[0] if value else "")

        def an_id(name: str) -> uuid.UUID | None:
            try:
                return uuid.UUID(one(name)) if one(name) else None
            except ValueError:
                raise Invalid(f"The {name} filter names nothing.") from None

        page = one("page").strip() or "1"
        if not (page.isascii() and page.isdigit() and len(page) < 8):
            raise Invalid("The page is a number from 1.")
        return cls.read(
            text=one("q"), status=one("status"), event_id=an_id("event"), tier_id=an_id("tier"),
            page=int(page),
        )  # fmt: skip

    def address(self, **changes: object) -> str:
        """The orders page's query string for this query, with `changes` (page=3)."""
        fields: dict[str, object] = {
            "q": self.text, "status": self.status, "event": self.event_id, "tier": self.tier_id,
            "page": self.page if self.page > 1 else None,
        }  # fmt: skip
        fields.update(changes)
        return urlencode({k: str(v) for k, v in fields.items() if v not in (None, "", 1)})


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    """This page's orders, each with its event and its lines' tiers loaded."""
    total: int
    """How many orders match, over every page."""
    page: int
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self) -> int:
        """The position of this page's first order among all that match (1-based)."""
        return (self.page - 1) * self.page_size + 1 if self.orders else 0

    @property
    def last(self) -> int:
        return self.first + len(self.orders) - 1 if self.orders else 0


def reference_tail(text: str) -> str | None:
    """The last 10 hex digits of the id of the order whose reference this is, or None when the
    text is no reference ("k7q2-mxp4" and "K7Q2MXP4" are the same one; an O reads as 0)."""
    typed = text.upper().removeprefix("#").translate(_READ_AS)
    if len(typed) != 8 or any(c not in _CROCKFORD for c in typed):
        return None
    value = 0
    for char in typed:
        value = value * 32 + _CROCKFORD.index(char)
    return f"{value:010x}"


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(organizer_ids: Collection[uuid.UUID], query: OrderQuery) -> Select[Order]:
    found = (
        select(Order)
        .join(Event, Event.id == Order.event_id)
        .where(Event.organizer_id.in_(organizer_ids))
    )
    if query.event_id is not None:
        found = found.where(Order.event_id == query.event_id)
    if query.tier_id is not None:
        found = found.where(
            exists().where(OrderLine.order_id == Order.id, OrderLine.tier_id == query.tier_id)
        )
    if query.status:
        found = found.where(Order.status == query.status)
    if query.text:
        like = _like(query.text)
        either: list[ColumnElement[bool]] = [
            Order.buyer_email.like(like.lower(), escape="\\"),
            Order.buyer_name.ilike(like, escape="\\"),
            # a ticket's attendee name (api/checkout/attendees.py): a guest calls by their own
            exists().where(Attendee.order_id == Order.id, Attendee.name.ilike(like, escape="\\")),
        ]
        tail = reference_tail(query.text)
        if tail is not None:
            either.append(func.right(cast(Order.id, String), 10) == tail)
        if PUBLIC_ID.fullmatch(query.text):
            either.append(Order.public_id == query.text)
        found = found.where(or_(*either))
    return found


async def search_orders(
    db: AsyncSession, *, organizer_ids: Collection[uuid.UUID], query: OrderQuery
) -> OrderPage:
    """One page of the orders of these organizers that match, newest first, and how many match.
    A page past the last is the last page."""
    matching = _matching(organizer_ids, query)
    total = int(
        await db.scalar(select(func.count()).select_from(matching.order_by(None).subquery())) or 0
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(query.page, pages)
    orders = list(
        await db.scalars(
            matching.options(
                selectinload(Order.event),
                selectinload(Order.lines).selectinload(OrderLine.tier),
            )
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    return OrderPage(orders=orders, total=total, page=page)


async def orders_named(
    db: AsyncSession, *, organizer_ids: Collection[uuid.UUID], public_ids: Sequence[str]
) -> list[Order]:
    """The orders of these organizers with these public ids (as ticked on the orders page),
    each with its event; ids of other organizers' orders or of none are left out."""
    wanted = [p for p in dict.fromkeys(public_ids) if PUBLIC_ID.fullmatch(p)]
    if not wanted:
        return []
    return list(
        await db.scalars(
            select(Order)
            .join(Event, Event.id == Order.event_id)
            .where(Event.organizer_id.in_(organizer_ids), Order.public_id.in_(wanted))
            .options(selectinload(Order.event))
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


def tickets_of(order: Order) -> str:
    """What the order holds, by tier: "Floor x2, Deck x1" (as the orders CSV says it)."""
    return ", ".join(f"{line.tier.name} x{line.quantity}" for line in order.lines)
