"""Waiting lists of sold-out tiers (issue 17, "Waiting list").

A buyer who finds a tier sold out leaves an email (and a quantity) on its waiting list: one
`WaitingEntry` per email per tier while it is waiting or offered. When seats come back, the
next entries in order get an offer that holds their seats (counted in the tier's `held`, so the
CHECK `never_oversold` keeps guarding them) until `offer_expires_at`; an unclaimed offer
expires and passes down the list (api/waiting/offers.py has every rule).

`WaitingListSettings` is a tier's own choice (how long an offer holds its seats, whether the
list is open); a tier without a row has the defaults.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy import event as orm_events
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey
from api.i18n.context import current as current_language

DEFAULT_OFFER_HOURS = 24


class WaitingStatus(StrEnum):
    waiting = "waiting"
    """In line; holds nothing."""
    offered = "offered"
    """Offered seats, held for it until `offer_expires_at`."""
    claimed = "claimed"
    """Bought (or started paying for) its seats through the offer: `order_id`."""
    expired = "expired"
    """Its offer ran out unclaimed; the seats passed down the list."""
    removed = "removed"
    """Taken off the list by the organizer."""


ACTIVE = (WaitingStatus.waiting, WaitingStatus.offered)


class WaitingEntry(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "waiting_entry"
    __table_args__ = (
        CheckConstraint(
            "status IN ('waiting','offered','claimed','expired','removed')", name="status_known"
        ),
        CheckConstraint("quantity BETWEEN 1 AND 100", name="quantity_range"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(
            "status <> 'offered' OR (offer_token IS NOT NULL AND offer_expires_at IS NOT NULL)",
            name="offer_complete",
        ),
        # One entry per email per tier while it is in line or offered (after that, they may
        # join again, at the back).
        Index(
            "uq_waiting_entry_active_email",
            "tier_id",
            "email",
            unique=True,
            postgresql_where=text("status IN ('waiting','offered')"),
        ),
        # The line of a tier, in order: what every offer pass reads.
        Index(
            "ix_waiting_entry_line",
            "tier_id",
            "created_at",
            "id",
            postgresql_where=text("status = 'waiting'"),
        ),
        # Offers that may have lapsed: what the worker's sweep reads.
        Index(
            "ix_waiting_entry_offer_expiry",
            "offer_expires_at",
            postgresql_where=text("status = 'offered'"),
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    tier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticket_tier.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(10), default=WaitingStatus.waiting, server_default="waiting"
    )
    offer_token: Mapped[str | None] = mapped_column(String(43), unique=True)
    """The unguessable part of the offer's link (`/waiting/offer/{token}`): 128 random bits."""
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    offered_by: Mapped[str | None] = mapped_column(String(320))
    """`list` for an offer made when seats came back, else the staff member who made it."""
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("order.id", deferrable=True, initially="DEFERRED")
    )
    """The order placed through the offer. Checked at commit: the claim names the order before
    the placement statement writes it, in the same transaction (api/waiting/services.py)."""
    ended_at: Mapped[datetime | None]
    """When it was claimed, expired or removed."""
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    """The language the buyer read when joining (api/i18n/): both its emails are written in it."""


@orm_events.listens_for(WaitingEntry, "init")
def _joined_in_the_buyers_language(
    target: WaitingEntry, args: object, kwargs: dict[str, object]
) -> None:
    """Joined from a German page: the joined and offer emails are German (set in the request)."""
    kwargs.setdefault("language", current_language())


class WaitingListSettings(Base):
    """A tier's waiting-list choices; no row: the defaults."""

    __tablename__ = "waiting_list_settings"
    __table_args__ = (CheckConstraint("offer_hours BETWEEN 1 AND 168", name="offer_hours_range"),)

    tier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticket_tier.id", ondelete="CASCADE"), primary_key=True
    )
    offer_hours: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_OFFER_HOURS, server_default=str(DEFAULT_OFFER_HOURS)
    )
    """How long an offer holds its seats before it passes down the list."""
    open: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    """Buyers may join while the tier is sold out."""
