"""Door scanner devices and the scans they upload.

A scan is a fact recorded by a device, never rejected on upload (the person is inside). Its
dot `(device_id, seq)` is unique, so re-uploads after a crash insert nothing twice. `scanned_at`
is the device's corrected clock, `received_at` the server's: the two are kept apart.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db.base import Base, CreatedAt, UUIDPrimaryKey
from api.db.events import Event


class DoorList(UUIDPrimaryKey, CreatedAt, Base):
    """Which passes a door admits, and when ("VIP deck: VIP only, from 7 PM").

    Phones bound to it receive it as a list record (sync/PROTOCOL.md section 18) whose
    `list_id` is this row's id; `seq` is the number of its latest change from the event's
    `list_seq`. Phones bound to no list are on the default list: every tier, any time.
    """

    __tablename__ = "door_list"
    __table_args__ = (
        UniqueConstraint("event_id", "name"),
        CheckConstraint("closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
                        name="closes_after_opening"),
    )  # fmt: skip

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    tier_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid))
    """The tiers it admits; NULL: every tier."""
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    reentry: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """A pass scanned out may come back in."""
    seq: Mapped[int] = mapped_column(BigInteger)


class ScannerPairing(UUIDPrimaryKey, CreatedAt, Base):
    """A pairing link for one event, exchanged by a door phone for a device token.

    A link pairs at most `max_uses` phones (one by default): a link forwarded beyond the door
    staff pairs no stranger's phone once its uses are spent, and the organizer can revoke it.
    """

    __tablename__ = "scanner_pairing"
    __table_args__ = (
        CheckConstraint("uses_left >= 0 AND uses_left <= max_uses", name="uses_in_range"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    door: Mapped[str] = mapped_column(String(80), default="Door", server_default="Door")
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    max_uses: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """How many phones the link may pair (1: single use)."""
    uses_left: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Phones it may still pair, taken by one conditional UPDATE per pairing (race-safe)."""
    may_search: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """"Scan and search": the phones it pairs may download guest names (else "scan only")."""
    door_list_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("door_list.id", ondelete="SET NULL")
    )
    """The door list its phones are bound to; NULL: the default list."""


class ScannerDevice(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "scanner_device"
    __table_args__ = (
        CheckConstraint("pending_count >= 0", name="pending_nonnegative"),
        Index(
            "uq_scanner_device_dashboard_event_id",
            "event_id",
            unique=True,
            postgresql_where=text("dashboard"),
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    """The door name shown to other devices ("Gate B")."""
    pairing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scanner_pairing.id", ondelete="SET NULL"), index=True
    )
    """The link this phone paired with, so the dashboard shows who paired with each link."""
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    """SHA-256 of the device's bearer token; the token itself is never stored."""
    revoked_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    pending_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    may_search: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """Copied from its pairing link: this phone may download guest names to search them."""
    door_list_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("door_list.id", ondelete="SET NULL")
    )
    """The door list this phone applies (from its pairing link); NULL: the default list."""
    app_version: Mapped[str | None] = mapped_column(String(40))
    """The scanner version the phone last synced with (its `X-Poctix-App` header)."""
    dashboard: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """The event's server-side device for check-ins from the dashboard (one per event); it
    holds no token anyone has."""

    event: Mapped[Event] = relationship()


class Scan(UUIDPrimaryKey, Base):
    __tablename__ = "scan"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        Index("ix_scan_event_pass", "event_id", "pass_key"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scanner_device.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    pass_key: Mapped[bytes | None] = mapped_column(LargeBinary(11))
    """The scanned pass's key, or NULL when the code did not verify."""
    verdict: Mapped[str] = mapped_column(String(20))
    admitted: Mapped[bool]
    door: Mapped[str] = mapped_column(String(80))
    scanned_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    vector: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    """The device's version vector when it scanned: decides override versus conflict."""
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    """Fields from newer clients that this server does not know yet, kept, not dropped."""
    raw_code: Mapped[str | None] = mapped_column(Text)
    """First characters of a code that did not verify, for the organizer's review."""
