"""Orders, their lines, and passes (one admission each)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum

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
)
from sqlalchemy import event as orm_events
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import func, text

from api.db.base import Base, CreatedAt, UUIDPrimaryKey, utcnow
from api.db.events import Event, EventKey, TicketTier
from api.i18n.context import current as current_language

PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{16,43}")
"""What an `Order.public_id` can look like: a link with anything else is refused before a query
(the passes page, the wallet's JSON and its Apple/Google links all take it from the URL)."""


class OrderStatus(StrEnum):
    pending = "pending"
    paid = "paid"
    expired = "expired"
    cancelled = "cancelled"
    refunded = "refunded"
    partially_refunded = "partially_refunded"
    disputed = "disputed"

    @classmethod
    def sold(cls) -> tuple[OrderStatus, ...]:
        """Orders that were sold: their passes were issued, so the buyer sees them (passes page,
        /account, the wallet) and their money counts, whatever happened since (a refund or a
        dispute voids passes but keeps the order shown). Pending, expired and cancelled orders
        never had passes."""
        return (cls.paid, cls.partially_refunded, cls.refunded, cls.disputed)


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def order_reference(order_id: uuid.UUID) -> str:
    """`Order.reference` of the order with this id."""
    tail = order_id.int & (2**40 - 1)
    return "".join(_CROCKFORD[(tail >> shift) & 31] for shift in range(35, -5, -5))


class PassStatus(StrEnum):
    valid = "valid"
    void = "void"


class Order(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "order"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','paid','expired','cancelled','refunded',"
            "'partially_refunded','disputed')",
            name="status_known",
        ),
        CheckConstraint("total_minor >= 0 AND fee_minor >= 0", name="amounts_nonnegative"),
        CheckConstraint("discount_minor >= 0", name="discount_nonnegative"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= total_minor", name="refund_le"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("buyer_email = lower(buyer_email)", name="email_lowercase"),
        # Unpaid checkouts by event: when held seats may come back (the event page) and the
        # expiry sweep; small, since orders leave it once paid, expired or cancelled.
        Index(
            "ix_order_pending_hold",
            "event_id",
            "hold_expires_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    public_id: Mapped[str] = mapped_column(String(43), unique=True)
    """Unguessable id used in buyer links (`/passes/{public_id}`): 128 random bits."""
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"), index=True)
    buyer_email: Mapped[str] = mapped_column(String(320), index=True)
    buyer_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    """The language the buyer read when placing it (the request's, api/i18n/): its emails use it."""
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.pending)
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    total_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    fee_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refunded_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    source_site: Mapped[str | None] = mapped_column(String(100))
    partner_site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_site.id", ondelete="SET NULL"), index=True
    )
    """The partner site whose embed sold this order (api/partners/); `source_site` has its name."""
    hold_expires_at: Mapped[datetime | None]
    hold_client: Mapped[str | None] = mapped_column(String(64))
    """The client address (IPv6 as its /64) whose hold allowance this unpaid checkout counts
    against; cleared when the hold ends (see `HoldAllowance`)."""
    paid_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(10), default="sale", server_default="sale")
    """`sale` (bought through checkout), `waiting` (bought through a waiting-list offer,
    api/waiting/), `comp` (free passes staff issued to a guest,
    api/checkout/comps.py) or `transfer` (a ticket another buyer handed on, with no money of its
    own: api/passes/transfer.py); the exports show it."""
    code_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("code.id"), index=True)
    """The discount or access code the order used (api/checkout/codes.py), if any."""
    discount_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """What the code took off the tickets' prices (`total_minor` is after it)."""

    event: Mapped[Event] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order")
    passes: Mapped[list[Pass]] = relationship(back_populates="order")

    @property
    def reference(self) -> str:
        """What a buyer reads out at the door or to support ("Order K7Q2MXP4"): 8 characters
        of Crockford base32 from the random tail of the order's id. Not a secret and not a key
        (the buyer's link is `public_id`); door search matches it as typed."""
        return order_reference(self.id)


@orm_events.listens_for(Order, "init")
def _placed_in_the_buyers_language(target: Order, args: object, kwargs: dict[str, object]) -> None:
    """An order made while a buyer reads a page in Spanish is Spanish: its emails say so. Set
    when the object is made (in the request's context), not at flush, which runs elsewhere."""
    kwargs.setdefault("language", current_language())


class OrderLine(UUIDPrimaryKey, Base):
    """How many tickets of one tier an order holds, at the price of the moment."""

    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "tier_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_price_minor >= 0", name="price_nonnegative"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    tier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticket_tier.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="lines")
    tier: Mapped[TicketTier] = relationship()


class Pass(UUIDPrimaryKey, CreatedAt, Base):
    """One admission. The QR carries `pass_key` (random) signed by the event key `key_id`."""

    __tablename__ = "pass"
    __table_args__ = (
        CheckConstraint("status IN ('valid','void')", name="status_known"),
        CheckConstraint("octet_length(pass_key) = 11", name="pass_key_length"),
        Index("ix_pass_event_change", "event_id", "change_seq"),
    )

    pass_key: Mapped[bytes] = mapped_column(LargeBinary(11), unique=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order.id"), index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"))
    tier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticket_tier.id"))
    key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_key.id"))
    status: Mapped[str] = mapped_column(String(10), default=PassStatus.valid)
    void_reason: Mapped[str | None] = mapped_column(String(40))
    change_seq: Mapped[int] = mapped_column(BigInteger)
    """Server-origin seq of this pass's latest change (its dot in the event's sync log)."""

    order: Mapped[Order] = relationship(back_populates="passes")
    tier: Mapped[TicketTier] = relationship()
    key: Mapped[EventKey] = relationship()


class PassChange(Base):
    """The server origin's log of pass changes for one event: issued, voided, reinstated.

    `(event_id, seq)` is the dot; `seq` comes from `Event.change_seq`, incremented in the same
    transaction as the change, so scanners pulling by version vector never skip a late commit.
    """

    __tablename__ = "pass_change"
    __table_args__ = (
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint("status IN ('valid','void')", name="status_known"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    pass_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pass.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]


class Refund(UUIDPrimaryKey, CreatedAt, Base):
    """One Stripe refund of an order, whoever started it (the dashboard, the Stripe dashboard,
    the CLI): recorded from our refund call and kept current by `refund.*` webhooks."""

    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_nonnegative"),
        CheckConstraint(
            "status IN ('pending','requires_action','succeeded','failed','canceled')",
            name="status_known",
        ),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order.id"), index=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    pass_ids: Mapped[str] = mapped_column(Text, default="", server_default="")
    """The passes this refund voids (comma-separated public pass ids), empty for "not named"."""
    initiated_by: Mapped[str] = mapped_column(
        String(320), default="stripe", server_default="stripe"
    )
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)

    order: Mapped[Order] = relationship()


class HoldAllowance(Base):
    """Seats one holder (a client address, a buyer email) has in unpaid checkouts right now.

    Taken in the checkout's own statement by `INSERT … ON CONFLICT DO UPDATE SET seats = seats
    + n`, which waits for and re-reads the latest row, so concurrent checkouts of one holder
    queue and the CHECK `seats <= cap` refuses the one that would pass the cap (undoing the
    whole statement), the way the tier's `never_oversold` refuses seats. Given back when the
    hold ends (api/checkout/holds.py). `cap` is written by each checkout, so the limit is the
    code's (api/checkout/holds.py HOLD_CAP), not the schema's.
    """

    __tablename__ = "hold_allowance"
    __table_args__ = (
        CheckConstraint("seats >= 0", name="seats_nonnegative"),
        CheckConstraint("seats <= cap", name="within_cap"),
    )

    holder: Mapped[str] = mapped_column(String(400), primary_key=True)
    """`ip:<client key>` or `email:<address>`."""
    seats: Mapped[int] = mapped_column(Integer)
    cap: Mapped[int] = mapped_column(Integer)
