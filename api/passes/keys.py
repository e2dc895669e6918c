"""Per-event Ed25519 keys, with private keys encrypted at rest.

The encryption key is derived from SECRET_KEY with HKDF, so the database alone (a backup, a
leaked dump) cannot sign passes. Each event has one active key; rotation adds a new active key
and retires the old one, whose passes keep verifying because scanners receive every key id.
"""

from __future__ import annotations

import uuid

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import fernet
from api.db import EventKey, utcnow
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


async def create_event_key(
    session: AsyncSession, *, event_id: uuid.UUID, secret_key: str
) -> EventKey:
    """Add a new active signing key to an event, retiring the previous active one."""
    for old in await session.scalars(
        select(EventKey).where(EventKey.event_id == event_id, EventKey.active)
    ):
        old.active = False
        old.retired_at = utcnow()
    private = Ed25519PrivateKey.generate()
    key = EventKey(
        event_id=event_id,
        kid=new_kid(),
        public_key=private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        ),
        private_key_encrypted=encrypt_private_key(private, secret_key=secret_key),
        active=True,
    )
    session.add(key)
    await session.flush()
    return key


async def active_key(session: AsyncSession, *, event_id: uuid.UUID, secret_key: str) -> EventKey:
    """The event's active signing key, created on first use."""
    key = await session.scalar(
        select(EventKey).where(EventKey.event_id == event_id, EventKey.active)
    )
    if key is None:
        key = await create_event_key(session, event_id=event_id, secret_key=secret_key)
    return key


async def event_public_keys(
    session: AsyncSession, *, event_id: uuid.UUID
) -> dict[int, Ed25519PublicKey]:
    """Every key id of the event (retired ones too: their passes stay valid)."""
    rows = await session.scalars(select(EventKey).where(EventKey.event_id == event_id))
    return {row.kid: public_key(row) for row in rows}
