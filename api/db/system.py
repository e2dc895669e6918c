"""Platform plumbing: webhook idempotency, the durable outbox, login tokens, sessions and the audit
log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey


class StripeEvent(CreatedAt, Base):
    """A Stripe webhook event already handled. Inserted first, in the effect's transaction."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    account: Mapped[str | None] = mapped_column(String(255))


class OutboxMessage(UUIDPrimaryKey, CreatedAt, Base):
    """A durable job (an email, a hold expiry), written in the transaction that causes it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending','sent','failed','kept')", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        Index("ix_outbox_message_due", "status", "available_at"),
    )

    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    available_at: Mapped[datetime]
    provider: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class LoginToken(UUIDPrimaryKey, CreatedAt, Base):
    """A magic-link token: only its SHA-256 is stored; single use; short-lived."""

    __tablename__ = "login_token"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(CreatedAt, Base):
    """A signed-in browser. The cookie carries the session id; only its SHA-256 is stored here,
    so signing out (or removing a member) deletes the row and a copied cookie stops working."""

    __tablename__ = "web_session"

    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    subject: Mapped[str] = mapped_column(String(320), index=True)
    """The signed-in email, or `operator` for the platform operator."""
    expires_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(300), default="", server_default="")
    ip: Mapped[str] = mapped_column(String(64), default="", server_default="")
    last_seen_at: Mapped[datetime | None]
    """Refreshed at most every few minutes (api/accounts/sessions.py), for the Security page."""


class AuditEntry(UUIDPrimaryKey, CreatedAt, Base):
    """Who did what to money or access, kept for the organizer's owners."""

    __tablename__ = "audit_entry"

    organizer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizer.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(255), default="", server_default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class RateLimitHit(Base):
    """Fixed-window request counters per route bucket and client, shared by every worker
    process: `INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits`."""

    __tablename__ = "rate_limit_hit"
    # No WAL: a count commits without waiting for a flush, and a crash only empties the table
    # (migration b1e2d3c4f5a6).
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
