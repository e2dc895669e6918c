"""What organizers do after the sale (issue 17): an event cancelled, a message to ticket holders.

`EventCancellation` is the durable record of "cancel this event": one per event, written in the
transaction that marks the event cancelled (`Event.cancelled_at`) and queues one outbox job per
sold order (api/events/cancellation.py). The jobs themselves are the progress: each is pending,
sent or failed, and the orders say what Stripe confirmed. A crash between jobs loses nothing.

`Broadcast` is one message an organizer sent to the ticket holders of an event or one tier
(api/mail/broadcast.py): its text is kept here once, and each recipient's outbox row names it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey


class EventCancellation(UUIDPrimaryKey, CreatedAt, Base):
    """An event cancelled by its owner: every pass voided, every paid order refunded, every buyer
    told, sales stopped. `orders` and `passes` are what the owner confirmed."""

    __tablename__ = "event_cancellation"
    __table_args__ = (CheckConstraint("orders >= 0 AND passes >= 0", name="counts_nonnegative"),)

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), unique=True
    )
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    """The organizer's words to buyers, quoted in the cancellation email (may be empty)."""
    actor: Mapped[str] = mapped_column(String(320))
    orders: Mapped[int] = mapped_column(Integer)
    passes: Mapped[int] = mapped_column(Integer)


class Broadcast(UUIDPrimaryKey, CreatedAt, Base):
    """A plain-text message to the holders of valid passes of an event (or of one tier)."""

    __tablename__ = "broadcast"
    __table_args__ = (CheckConstraint("recipients >= 0", name="recipients_nonnegative"),)

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    tier_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ticket_tier.id", ondelete="SET NULL")
    )
    """None: every holder of the event."""
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[int] = mapped_column(Integer)
