"""Organizers (the venues and promoters who sell) and the people who work for them."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
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
