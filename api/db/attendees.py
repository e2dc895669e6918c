"""Attendee details: the questions an event asks per ticket, and each ticket's answers.

An event asks for the attendee's name per ticket (`Event.attendee_names`: off, optional,
required) and its own questions (`AttendeeQuestion`), each for every tier or the chosen ones.
The buyer answers before paying, so the answers are written with the unpaid order, one
`Attendee` per seat (`tier_id`, `seat` 1..n within the order's line), and each is tied to its
pass when the passes are issued (`pass_id`; api/checkout/attendees.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy import false as sa_false
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey


class AttendeeQuestion(UUIDPrimaryKey, CreatedAt, Base):
    """One question of an event's checkout, asked once per ticket of the tiers it is for."""

    __tablename__ = "attendee_question"
    __table_args__ = (
        CheckConstraint("kind IN ('text','choice','checkbox')", name="kind_known"),
        CheckConstraint("length(label) BETWEEN 1 AND 200", name="label_length"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    """`text` (a line of text), `choice` (one of `options`) or `checkbox` (ticked or not)."""
    options: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    """The answers a `choice` offers, in order."""
    required: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """Text and choice: an answer is needed; checkbox: it must be ticked (a consent)."""
    tier_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid))
    """The tiers whose tickets it is asked for; NULL: every tier."""

    def asked_for(self, tier_id: uuid.UUID) -> bool:
        return self.tier_ids is None or tier_id in self.tier_ids


class Attendee(UUIDPrimaryKey, CreatedAt, Base):
    """Who holds one ticket of an order, and their answers (question id → answer text)."""

    __tablename__ = "attendee"
    __table_args__ = (
        UniqueConstraint("order_id", "tier_id", "seat"),
        CheckConstraint("seat >= 1", name="seat_positive"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    tier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticket_tier.id"))
    seat: Mapped[int] = mapped_column(Integer)
    """Which ticket of the order's line for `tier_id` (1..quantity), in issue order."""
    pass_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pass.id", ondelete="SET NULL"), unique=True
    )
    """The pass this ticket became (set when the order's passes are issued)."""
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    """Question id (text) → the answer: the text typed, the option chosen, or "yes" when a
    checkbox was ticked. A question left unanswered has no key."""
