"""The audit log's one writer: who did what to money, access or data, under its organizer.

An organizer's owners read their entries on /admin/organizers/{id}/audit and in export.zip,
both by `organizer_id`; an entry written without it is invisible to them. Refunds, resends and
the orders export were written that way, each by its own `AuditEntry(...)`. Now every entry goes
through `record`, whose organizer is a required keyword (a `uuid.UUID`, never None).

A few operator actions concern no organizer at all: a declined application, an export of every
organizer, a sign-in link printed for a buyer. They go through `record_platform`, so leaving the
organizer out is a choice written in the call's name, never a forgotten keyword. Their entries
are shown to the operator only (in the full export).

This module imports nothing but the models, so every area may import it.
(tests/test_audit_log.py fails when an `AuditEntry(` appears anywhere else in api/.)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AuditEntry


def record(
    db: AsyncSession,
    *,
    organizer_id: uuid.UUID,
    actor: str,
    action: str,
    target: str = "",
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add an entry about `organizer_id` to `db` (the caller's transaction commits it)."""
    if organizer_id is None:  # a caller outside mypy's reach
        raise ValueError(f"{action}: an audit entry names its organizer (or use record_platform)")
    _add(db, organizer_id, actor=actor, action=action, target=target, details=details)


def record_platform(
    db: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str = "",
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add an entry about the platform, about no organizer (shown to the operator only)."""
    _add(db, None, actor=actor, action=action, target=target, details=details)


def _add(
    db: AsyncSession,
    organizer_id: uuid.UUID | None,
    *,
    actor: str,
    action: str,
    target: str,
    details: Mapping[str, Any] | None,
) -> None:
    db.add(
        AuditEntry(
            organizer_id=organizer_id,
            actor=actor,
            action=action,
            target=target,
            details=dict(details or {}),
        )
    )
