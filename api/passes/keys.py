"""Per-event Ed25519 keys, with private keys encrypted at rest.

The encryption key is derived from SECRET_KEY with HKDF, so the database alone (a backup, a
leaked dump) cannot sign passes. Each event has one active key, made with the event; rotation
adds a new active key and retires the old one, whose passes keep verifying because scanners
receive every key id. The database holds at most one active key per event (a unique partial
index), so concurrent first sales of an event made without one still share a single key.
"""

from __future__ import annotations

import uuid

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import fernet
from api.db import EventKey, utcnow, uuid7
from api.passes.tokens import new_kid


class KeyDecryptionError(Exception):
    """A private key cannot be decrypted: SECRET_KEY is not the one it was encrypted with."""


def _fernet(secret_key: str) -> Fernet:
    return fernet(secret_key, b"poctix event signing keys v1")


def encrypt_private_key(private_key: Ed25519PrivateKey, *, secret_key: str) -> bytes:
    raw = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _fernet(secret_key).encrypt(raw)


def decrypt_private_key(blob: bytes, *, secret_key: str) -> Ed25519PrivateKey:
    try:
        raw = _fernet(secret_key).decrypt(blob)
    except InvalidToken as exc:
        raise KeyDecryptionError(
            "An event signing key cannot be decrypted with this SECRET_KEY. Restore the "
            "SECRET_KEY the keys were created with."
        ) from exc
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key(event_key: EventKey) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(event_key.public_key)


def _new_key_values(*, event_id: uuid.UUID, secret_key: str) -> dict[str, object]:
    private = Ed25519PrivateKey.generate()
    return {
        "id": uuid7(),
        "event_id": event_id,
        "kid": new_kid(),
        "public_key": private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        ),
        "private_key_encrypted": encrypt_private_key(private, secret_key=secret_key),
        "active": True,
    }


async def create_event_key(
    session: AsyncSession, *, event_id: uuid.UUID, secret_key: str
) -> EventKey:
    """Rotate: retire the event's active key and add a new active one (the caller commits)."""
    await session.execute(
        update(EventKey)
        .where(EventKey.event_id == event_id, EventKey.active)
        .values(active=False, retired_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    key = EventKey(**_new_key_values(event_id=event_id, secret_key=secret_key))
    session.add(key)
    await session.flush()
    return key


async def _active(session: AsyncSession, event_id: uuid.UUID) -> EventKey | None:
    # The unique partial index allows one active key; the order makes the answer one anyway.
    return await session.scalar(
        select(EventKey)
        .where(EventKey.event_id == event_id, EventKey.active)
        .order_by(EventKey.created_at.desc(), EventKey.id.desc())
        .limit(1)
    )


async def active_key(session: AsyncSession, *, event_id: uuid.UUID, secret_key: str) -> EventKey:
    """The event's active signing key, created if it has none (events get theirs when they are
    made; this covers older ones). Callers racing to create it all get the same key: the insert
    does nothing when another active key exists (or is being inserted: it waits for that
    transaction), then the one that won is read."""
    key = await _active(session, event_id)
    if key is not None:
        return key
    await session.execute(
        insert(EventKey)
        .values(**_new_key_values(event_id=event_id, secret_key=secret_key))
        .on_conflict_do_nothing(index_elements=["event_id"], index_where=text("active"))
    )
    key = await _active(session, event_id)
    assert key is not None, "an active key was just inserted or found"
    return key


async def event_public_keys(
    session: AsyncSession, *, event_id: uuid.UUID
) -> dict[int, Ed25519PublicKey]:
    """Every key id of the event (retired ones too: their passes stay valid)."""
    rows = await session.scalars(select(EventKey).where(EventKey.event_id == event_id))
    return {row.kid: public_key(row) for row in rows}
