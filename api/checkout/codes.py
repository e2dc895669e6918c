"""Discount and access codes at checkout: what a typed code is worth, and its use counter.

A buyer types a code on the event page (or follows a `?code=` link). `find` says whether it
may be used now, in words for the buyer when not; the `Applied` it returns prices each ticket
and says which hidden tiers it unlocks. Everything else happens in the order's placement
statement (api/checkout/placement.py, `REDEEM`): the code's `uses` goes up by one in the same
statement that takes the seats, and past `max_uses` the CHECK `ck_code_within_limit` undoes
the whole order, so a code's limit holds whatever the race (DESIGN.md, "Selling rules").

One order is one use. An unpaid checkout holds its use as it holds its seats: when the hold
lapses or is cancelled the use comes back (`give_back`, called where holds release seats); a
payment that arrives after that takes it again if the code still has one (`retake`), and the
sale stands either way (the buyer paid the price they were shown).

Prices: a percentage is rounded to the nearest minor unit; a fixed amount never takes a ticket
below zero. A ticket still costing something must cost at least the platform fee (the tier rule
of api/events/tiers.py: Stripe refuses an application fee larger than the charge), so a
discount that would leave less is capped there. A ticket brought to zero is free: no fee, and
an order of only free tickets never touches Stripe.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Code, DiscountKind, Event, Order, TicketTier, utcnow
from api.formatting import money, when
from api.settings import Settings

FORMAT = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,39}")
"""What a code looks like once upper-cased (the column's CHECK says the same)."""
OVER_LIMIT = "ck_code_within_limit"

REDEEM = """,
    redeemed AS (
        UPDATE code SET uses = code.uses + 1
        FROM (SELECT count(*) FROM {after}) AS taken
        WHERE code.id = CAST(:code_id AS uuid) AND NOT EXISTS (SELECT FROM short)
    )"""
"""A data-modifying CTE (placement's statement, after its seats): the order's code, if any,
used once more. It reads `{after}` (the CTE that takes the last row before it) so that the
code's row is always locked after the tiers' and allowances', the order in which a hold's
release takes them too: no deadlock between a checkout and a release."""


class CodeRefused(Exception):
    """The code cannot be used now; `reason` is a stable code, the message is for the buyer."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def normalize(raw: str | None) -> str:
    """The code as stored (upper case, no surrounding spaces); "" for nothing typed. Characters
    that cannot be shown (controls, NUL) are dropped, so a refusal can quote what was typed."""
    return "".join(ch for ch in (raw or "")[:200] if ch.isprintable()).strip().upper()


@dataclass(frozen=True)
class Applied:
    """A usable code, as plain values (a rollback expires ORM objects)."""

    id: uuid.UUID
    code: str
    kind: str
    value: int
    tier_ids: frozenset[uuid.UUID] | None

    @classmethod
    def of(cls, row: Code) -> Applied:
        tiers = frozenset(row.tier_ids) if row.tier_ids is not None else None
        return cls(row.id, row.code, row.kind, row.value, tiers)

    def applies_to(self, tier: TicketTier) -> bool:
        return self.tier_ids is None or tier.id in self.tier_ids

    def unlocks(self, tier: TicketTier) -> bool:
        """A hidden tier this code shows and sells."""
        return tier.hidden and self.applies_to(tier)

    @property
    def discounts(self) -> bool:
        return self.kind != DiscountKind.none

    def unit_price(self, tier: TicketTier, *, fee_minor: int) -> int:
        """What one ticket of `tier` costs with this code (see the module's note on prices)."""
        price = tier.price_minor
        if not self.discounts or not self.applies_to(tier) or price == 0:
            return price
        percent = self.kind == DiscountKind.percent
        off = (price * self.value + 50) // 100 if percent else self.value
        left = max(price - off, 0)
        return max(left, fee_minor) if left > 0 else 0


def visible(tier: TicketTier, code: Applied | None) -> bool:
    """Whether the event page shows (and checkout sells) `tier` to a buyer with `code`."""
    return not tier.hidden or (code is not None and code.unlocks(tier))


def unit_price(tier: TicketTier, code: Applied | None, *, fee_minor: int) -> int:
    return tier.price_minor if code is None else code.unit_price(tier, fee_minor=fee_minor)


async def find(
    session: AsyncSession, *, event_id: uuid.UUID, raw: str, zone: str, now: datetime | None = None
) -> Applied:
    """The code `raw` of the event, if it may be used now; raises CodeRefused otherwise. Whether
    it has a use left is read here for the message; the placement statement decides."""
    typed = normalize(raw)
    unknown = CodeRefused("unknown", f"“{typed[:40]}” is not a valid code for this event.")
    if not FORMAT.fullmatch(typed):
        raise unknown
    row = await session.scalar(select(Code).where(Code.event_id == event_id, Code.code == typed))
    if row is None or not row.active:
        raise unknown
    moment = now or utcnow()
    if row.starts_at is not None and moment < row.starts_at:
        raise CodeRefused(
            "not_yet", f"The code {typed} can be used from {when(row.starts_at, zone)}."
        )
    if row.ends_at is not None and moment >= row.ends_at:
        raise CodeRefused("ended", f"The code {typed} has expired.")
    if row.max_uses is not None and row.uses >= row.max_uses:
        raise CodeRefused("used_up", used_up_message(typed))
    return Applied.of(row)


def used_up_message(code: str) -> str:
    return f"The code {code} has been used up."


async def give_back(session: AsyncSession, *, order: Order) -> None:
    """The unpaid hold of `order` ended without a sale: its code's use is free again."""
    if order.code_id is None:
        return
    await session.execute(
        text("UPDATE code SET uses = greatest(uses - 1, 0) WHERE id = :id"), {"id": order.code_id}
    )


async def retake(session: AsyncSession, *, order: Order) -> None:
    """A payment arrived after its hold had ended (and given its use back): the order counts
    again, if the code has a use left (the sale stands either way)."""
    if order.code_id is None:
        return
    await session.execute(
        text(
            "UPDATE code SET uses = uses + 1 "
            "WHERE id = :id AND (max_uses IS NULL OR uses < max_uses)"
        ),
        {"id": order.code_id},
    )


async def for_page(
    session: AsyncSession, *, event_id: uuid.UUID, raw: str | None, zone: str
) -> tuple[Applied | None, str | None]:
    """For the event page: the code typed (or from `?code=`) if usable, else why not."""
    if not normalize(raw):
        return None, None
    try:
        return await find(session, event_id=event_id, raw=raw or "", zone=zone), None
    except CodeRefused as exc:
        return None, str(exc)


def summary(code: Applied, currency: str) -> str:
    """What the code gives, for the buyer ("25% off", "$5.00 off each ticket")."""
    if code.kind == DiscountKind.percent:
        return "free tickets" if code.value == 100 else f"{code.value}% off"
    if code.kind == DiscountKind.amount:
        return f"{money(code.value, currency)} off each ticket"
    return "access to tickets not on public sale"


def page_context(
    event: Event, settings: Settings, *, code: Applied | None, error: str | None
) -> dict[str, Any]:
    """What the event page shows of a code: the code, its prices per tier (with the fee floor
    checkout applies), what it gives, or why it was refused."""
    fee = settings.fees.get(event.currency, 0)  # the event currency's own (PLATFORM_FEES)
    currency = event.currency
    prices = {t.id: unit_price(t, code, fee_minor=fee) for t in event.tiers} if code else {}
    return {
        "code": code,
        "code_error": error,
        "prices": prices,
        "code_summary": summary(code, currency) if code else None,
    }


async def order_code(session: AsyncSession, *, order: Order) -> Code | None:
    """The code the order used (the dashboard's order page shows it with the discount)."""
    return await session.get(Code, order.code_id) if order.code_id else None
