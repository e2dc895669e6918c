"""Passkeys (WebAuthn credentials) for staff and the operator, the challenges of their ceremonies,
and the organizers whose owners require them (api/accounts/passkeys.py uses them).

A passkey belongs to a person, by the same subject as their sessions (an email, or `operator`),
not to one organizer: someone on two teams signs in once. Only the public key is stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey


class Passkey(UUIDPrimaryKey, CreatedAt, Base):
    """One registered authenticator of one person."""

    __tablename__ = "passkey"

    subject: Mapped[str] = mapped_column(String(320), index=True)
    """The email it signs in (lower case), or `operator`."""
    name: Mapped[str] = mapped_column(String(100))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    """COSE-encoded, as the authenticator gave it."""
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    """The authenticator's counter at the last sign-in: a lower one later means a cloned key."""
    transports: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    last_used_at: Mapped[datetime | None]


class PasskeyChallenge(CreatedAt, Base):
    """A challenge handed to a browser, kept until its answer comes back (once) or it expires."""

    __tablename__ = "passkey_challenge"

    challenge_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    """`register` or `sign_in`."""
    subject: Mapped[str | None] = mapped_column(String(320))
    """Who is registering (None for a sign-in: the passkey says who)."""
    expires_at: Mapped[datetime]


class PasskeyRequirement(CreatedAt, Base):
    """An organizer whose owners require passkeys: its members who have one may not sign in by
    magic link alone."""

    __tablename__ = "passkey_requirement"

    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), primary_key=True
    )
    set_by: Mapped[str] = mapped_column(String(320))
