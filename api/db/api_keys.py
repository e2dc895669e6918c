"""Organizer API keys (api/organizer_api/): a bearer secret per integration, shown once.

Only the key's SHA-256 is stored (as for device tokens and sign-in links), so a database dump
calls no API. `prefix` is the key's first characters, kept to tell keys apart on the dashboard.
A revoked key stays listed (who made it, when it was last used) and is refused from then on.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey


class ApiKey(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint(
            "scopes <@ ARRAY['read','orders','check-in']::varchar[] AND cardinality(scopes) > 0",
            name="scopes_known",
        ),
    )

    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    """What the owner called it ("Box office sync")."""
    prefix: Mapped[str] = mapped_column(String(16))
    """The key's first characters (`ptx_AbCd1234`), shown to tell keys apart."""
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    """`read`, `orders` (refund, resend), `check-in` (record a check-in)."""
    created_by: Mapped[str] = mapped_column(String(320))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
