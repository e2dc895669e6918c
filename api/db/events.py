"""Events, their ticket tiers and their pass-signing keys.

Capacity is protected by the database itself: `sold + held <= capacity` is a CHECK constraint,
and holds are taken by one conditional UPDATE (see `api.checkout`), so no code path can oversell.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db.base import Base, CreatedAt, UUIDPrimaryKey
from api.db.organizers import Organizer


class Event(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'", name="slug_format"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("change_seq >= 0", name="change_seq_nonnegative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint(
            "attendee_names IN ('off','optional','required')", name="attendee_names_known"
        ),
    )

    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizer.id", ondelete="RESTRICT"), index=True
    )
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    venue: Mapped[str] = mapped_column(String(300), default="", server_default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    """IANA zone (e.g. `Pacific/Honolulu`) in which times are shown; stored times are UTC."""
    image_path: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    """What every tier of the event sells in (ISO 4217); each tier keeps a copy in its own row."""
    default_language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    """The language (`en`, `es`, `de`) of its pages for a buyer whose browser asks for none of
    them (api/i18n/)."""
    published: Mapped[bool] = mapped_column(default=False, server_default="false")
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """Last sequence number of the server origin's pass changes for this event (see sync/)."""
    list_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """Last number of the event's door list changes, a counter apart from `change_seq`
    (sync/PROTOCOL.md section 18.2)."""
    attendee_names: Mapped[str] = mapped_column(String(10), default="off", server_default="off")
    """Ask each ticket's attendee name at checkout: `off`, `optional` or `required`
    (api/checkout/attendees.py)."""
    cancelled_at: Mapped[datetime | None]
    """When its owner cancelled it (api/events/cancellation.py): nothing sells any more, the
    public page says so; None while it goes ahead."""

    organizer: Mapped[Organizer] = relationship()
    tiers: Mapped[list[TicketTier]] = relationship(
        back_populates="event", order_by="TicketTier.position"
    )


class TicketTier(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "ticket_tier"
    __table_args__ = (
        UniqueConstraint("event_id", "name"),
        CheckConstraint("price_minor >= 0", name="price_nonnegative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("capacity >= 0", name="capacity_nonnegative"),
        CheckConstraint("sold >= 0 AND held >= 0", name="counts_nonnegative"),
        CheckConstraint("sold + held <= capacity", name="never_oversold"),
        CheckConstraint("max_per_order BETWEEN 1 AND 100", name="max_per_order_range"),
        CheckConstraint(
            "sales_end IS NULL OR sales_start IS NULL OR sales_end > sales_start",
            name="sales_window_order",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    capacity: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sales_start: Mapped[datetime | None]
    sales_end: Mapped[datetime | None]
    max_per_order: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hidden: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    """Shown and sold only with an access code that unlocks it (api/checkout/codes.py)."""

    event: Mapped[Event] = relationship(back_populates="tiers")

    @property
    def available(self) -> int:
        return max(self.capacity - self.sold - self.held, 0)

    @property
    def is_free(self) -> bool:
        return self.price_minor == 0


class EventKey(UUIDPrimaryKey, CreatedAt, Base):
    """An Ed25519 key pair that signs an event's passes.

    `kid` is the 32-bit key id written into every pass token; it is unique across all events so
    a scanner can tell "another event's pass" from a forgery. The private key is encrypted with
    a key derived from SECRET_KEY (see `api.passes.keys`).
    """

    __tablename__ = "event_key"
    __table_args__ = (
        CheckConstraint("kid >= 0 AND kid < 4294967296", name="kid_u32"),
        # At most one active key per event, whatever the race (api.passes.keys.active_key).
        Index(
            "uq_event_key_active_event_id", "event_id", unique=True, postgresql_where=text("active")
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    kid: Mapped[int] = mapped_column(BigInteger, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(default=True, server_default="true")
    retired_at: Mapped[datetime | None]
