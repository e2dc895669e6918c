"""Outgoing webhooks: the endpoints organizers register and one delivery row per endpoint and
event (api/outgoing/). Not Stripe's incoming webhooks (`StripeEvent`, api/payments/webhooks.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey


class WebhookEndpoint(UUIDPrimaryKey, CreatedAt, Base):
    """A URL an organizer's events are POSTed to, signed with its own secret (sealed with a key
    from SECRET_KEY: the app must sign with it, so a hash would not do)."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (
        # What `api.outgoing.emit` asks on every sale: one index lookup per organizer.
        Index("ix_webhook_endpoint_organizer_enabled", "organizer_id", "enabled"),
    )

    organizer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizer.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_by: Mapped[str | None] = mapped_column(String(320))


class WebhookDelivery(UUIDPrimaryKey, CreatedAt, Base):
    """One event for one endpoint: the exact body sent (a retry or a resend sends it again, with
    the same event id) and how the last attempt went."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        CheckConstraint("status IN ('pending','delivered','failed')", name="status_known"),
        Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
