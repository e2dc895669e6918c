"""Organizers (the venues and promoters who sell) and the people who work for them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db.base import Base, CreatedAt, UUIDPrimaryKey


class Role(StrEnum):
    owner = "owner"
    manager = "manager"
    door_lead = "door_lead"


class Organizer(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "organizer"
    __table_args__ = (CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'", name="slug_format"),)

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    contact_email: Mapped[str] = mapped_column(String(320))
    logo_path: Mapped[str | None] = mapped_column(Text)
    stripe_account_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(default=False, server_default="false")
    stripe_currencies: Mapped[list[str]] = mapped_column(
        ARRAY(String(3)), default=list, server_default="{}"
    )
    """Currencies the connected account settles in, its default first, as Stripe said at the
    last onboarding return or `account.updated` (`api.payments.onboarding`); empty: not known."""

    members: Mapped[list[OrganizerMember]] = relationship(back_populates="organizer")


class OrganizerMember(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "organizer_member"
    __table_args__ = (
        UniqueConstraint("organizer_id", "email"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("role IN ('owner', 'manager', 'door_lead')", name="role_known"),
    )

    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.owner)

    organizer: Mapped[Organizer] = relationship(back_populates="members")


class OrganizerApplication(UUIDPrimaryKey, CreatedAt, Base):
    """A venue or promoter asking to sell on this platform; the operator approves or declines."""

    __tablename__ = "organizer_application"
    __table_args__ = (
        CheckConstraint("status IN ('pending','approved','declined')", name="status_known"),
        CheckConstraint("contact_email = lower(contact_email)", name="email_lowercase"),
    )

    organizer_name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(320), index=True)
    website: Mapped[str] = mapped_column(String(500), default="", server_default="")
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    organizer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizer.id", ondelete="SET NULL")
    )
