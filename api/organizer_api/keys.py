"""Organizer API keys: made and revoked by the organizer's owners, shown once, stored hashed.

A key is `ptx_` and 43 characters of a 256-bit random string; only its SHA-256 is kept (the
digest the door's device tokens use, `api.checkin.services.digest`), so a database dump calls
no API. Each key carries scopes (`SCOPES`): `read` for every GET, `orders` to refund or resend
an order, `check-in` to record a check-in; a request outside its key's scopes is a 403.
Making and revoking a key are audited under the organizer.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.checkin.services import digest
from api.db import ApiKey, utcnow
from api.errors import Invalid, NotFound

SCOPES: dict[str, str] = {
    "read": "Read events, tiers, orders, passes, check-ins and door figures",
    "orders": "Refund orders and email their tickets again",
    "check-in": "Check guests in, as the dashboard's order page does",
}
PREFIX = "ptx_"
SHOWN = 12
"""Characters of a key kept in clear (`ptx_` and 8 more), to tell keys apart on the page."""
USED_EVERY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key: not one UPDATE per request."""


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str
    """The whole key: shown once, on the page that made it, never again."""


def _scopes(chosen: list[str]) -> list[str]:
    unknown = sorted(set(chosen) - set(SCOPES))
    if unknown:
        raise Invalid(f"Unknown scope: {', '.join(unknown)}.")
    if not chosen:
        raise Invalid("Choose at least one scope.")
    return [scope for scope in SCOPES if scope in chosen]


async def create_key(
    db: AsyncSession, *, organizer_id: uuid.UUID, name: str, scopes: list[str], actor: str
) -> NewKey:
    """A new key for the organizer (audited, not committed)."""
    name = " ".join(name.split())
    if not name:
        raise Invalid("Name the key after what will use it.")
    if len(name) > 80:
        raise Invalid("A key's name is at most 80 characters.")
    secret = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        organizer_id=organizer_id,
        name=name,
        prefix=secret[:SHOWN],
        token_hash=digest(secret),
        scopes=_scopes(scopes),
        created_by=actor,
    )
    db.add(key)
    await db.flush()
    audit.record(
        db, organizer_id=organizer_id, actor=actor, action="api_key.created", target=key.name,
        details={"key_id": str(key.id), "scopes": key.scopes},
    )  # fmt: skip
    return NewKey(key=key, secret=secret)


async def revoke_key(
    db: AsyncSession, *, organizer_id: uuid.UUID, key_id: uuid.UUID, actor: str
) -> ApiKey:
    """Revoke the organizer's key once (audited, not committed); NotFound for another's."""
    key = await db.get(ApiKey, key_id)
    if key is None or key.organizer_id != organizer_id:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(db, organizer_id=organizer_id, actor=actor, action="api_key.revoked",
                     target=key.name, details={"key_id": str(key.id)})  # fmt: skip
    return key


async def organizer_keys(db: AsyncSession, *, organizer_id: uuid.UUID) -> list[ApiKey]:
    """The organizer's keys, active first, newest first."""
    return list(
        await db.scalars(
            select(ApiKey)
            .where(ApiKey.organizer_id == organizer_id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())
        )
    )


async def key_for_secret(db: AsyncSession, *, secret: str) -> ApiKey | None:
    """The active key with this secret, or None (unknown or revoked); notes its use."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    key = await db.scalar(select(ApiKey).where(ApiKey.token_hash == digest(secret)))
    if key is None or key.revoked_at is not None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= USED_EVERY:
        await db.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        await db.commit()
    return key
