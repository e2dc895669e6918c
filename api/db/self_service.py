"""What buyers may do with their tickets after the sale (issue 17): transfer, rename, cancel.

`SelfServicePolicy` is an event's rules, one row per event (none: nothing is allowed, as for
every event made before this existed): whether buyers may transfer (or rename) a ticket and
cancel their order, each until so many hours before the event starts, and whether a cancelled
paid ticket also gives back the platform fee (Stripe's `refund_application_fee`).

`PassTransfer` records one transfer: the pass voided (reason `transferred`), the pass issued in
its place in a new order of the new holder, and both addresses. A pass is transferred at most
once (`from_pass_id` is unique); the new pass may be transferred again, making a chain.
"""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey

MAX_HOURS = 24 * 365
"""The earliest deadline an organizer may set: a year before the event starts."""


class SelfServicePolicy(Base):
    """An event's rules for transfers, renames and cancellations by buyers."""

    __tablename__ = "self_service_policy"
    __table_args__ = (
        CheckConstraint(
            f"transfer_hours BETWEEN 0 AND {MAX_HOURS} AND cancel_hours BETWEEN 0 AND {MAX_HOURS}",
            name="hours_range",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    transfers: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """Buyers may rename a ticket or transfer it to another email address."""
    transfer_hours: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Transfers and renames close this many hours before the event starts (0: at the start)."""
    cancellation: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """Buyers may cancel their tickets: a paid one is refunded through Stripe, a free one voided."""
    cancel_hours: Mapped[int] = mapped_column(Integer, default=48, server_default="48")
    """Cancellations close this many hours before the event starts (0: at the start)."""
    cancel_refunds_fee: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """A cancellation also refunds the platform fee to the organizer's account (Stripe's
    `refund_application_fee`); otherwise the platform keeps it. The buyer gets the ticket price
    back either way."""


class PassTransfer(UUIDPrimaryKey, CreatedAt, Base):
    """One ticket handed to someone else: the old pass void, a new one in the new holder's order."""

    __tablename__ = "pass_transfer"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    from_pass_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pass.id"), unique=True)
    to_pass_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pass.id"), unique=True)
    from_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order.id"), index=True)
    to_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order.id"), index=True)
    from_email: Mapped[str] = mapped_column(String(320))
    to_email: Mapped[str] = mapped_column(String(320))
