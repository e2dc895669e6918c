"""Discount and access codes of an event (issue 17, "Codes").

A code is typed on the event page (or comes in a `?code=` link). It may take money off the
tickets it applies to (a percentage or a fixed amount per ticket) and it unlocks the event's
hidden tiers among them (a tier flagged `hidden` is shown and sold only with such a code).

`uses` counts the orders that used it. It is taken in the order's own placement statement
(api/checkout/placement.py), the way a tier's seats are: past `max_uses` the CHECK
`within_limit` fails and undoes the whole statement, so a limit holds under any race (a
"count then insert" does not, DESIGN.md). An unpaid hold that lapses or is cancelled gives its
use back (api/checkout/codes.py `give_back`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey


class DiscountKind(StrEnum):
    none = "none"
    """An access code only: it unlocks hidden tiers at their price."""
    percent = "percent"
    """`discount_value` percent off each ticket it applies to (100: free)."""
    amount = "amount"
    """`discount_value` minor units off each ticket it applies to (never below zero)."""


class Code(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "code"
    __table_args__ = (
        CheckConstraint("code ~ '^[A-Z0-9][A-Z0-9_-]{0,39}$'", name="code_format"),
        CheckConstraint("kind IN ('none','percent','amount')", name="kind_known"),
        CheckConstraint(
            "(kind = 'none' AND value = 0) OR (kind = 'percent' AND value BETWEEN 1 AND 100)"
            " OR (kind = 'amount' AND value >= 1)",
            name="value_fits_kind",
        ),
        CheckConstraint("uses >= 0", name="uses_nonnegative"),
        CheckConstraint("max_uses IS NULL OR max_uses >= 1", name="max_uses_positive"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="within_limit"),
        CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="window_order"
        ),
        # Codes are typed case-insensitively: stored upper case, one of each per event.
        UniqueConstraint("event_id", "code"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    """What the buyer types, upper case (`SUMMER-25`)."""
    kind: Mapped[str] = mapped_column(String(10), default=DiscountKind.none)
    value: Mapped[int] = mapped_column(Integer, default=0)
    """Percent (1-100) or minor units of the event's currency, per ticket; 0 for `none`."""
    tier_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid))
    """The tiers it applies to (and unlocks, when hidden); NULL: every tier of the event."""
    max_uses: Mapped[int | None] = mapped_column(Integer)
    """How many orders may use it; NULL: no limit."""
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Orders that used it (paid, or holding seats in a checkout)."""
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    """False: deactivated by the organizer; orders that used it keep their price."""
