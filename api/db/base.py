"""Declarative base shared by every model.

UUIDv7 primary keys (time-ordered, so indexes stay compact, and clients can mint ids offline),
timestamps in UTC (`timestamptz`), and a constraint naming convention so Alembic's autogenerate
produces stable, reviewable diffs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import uuid_utils.compat as uuid_compat
from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def uuid7() -> uuid.UUID:
    """A new UUIDv7 (RFC 9562) as a standard `uuid.UUID`."""
    return uuid_compat.uuid7()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
