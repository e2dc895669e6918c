"""Pairing door phones: a pairing link per event, exchanged once for a device bearer token.

Codes and tokens are 256-bit random strings; only their SHA-256 is stored, so a database dump
pairs no phone and impersonates no device.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, ScannerDevice, ScannerPairing, utcnow

PAIRING_TTL = timedelta(days=7)


class PairingError(Exception):
    """The pairing code is unknown, expired or revoked."""


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True)
class Pairing:
    code: str
    door: str


@dataclass(frozen=True)
class PairedDevice:
    device: ScannerDevice
    token: str
    event: Event


async def create_pairing(
    session: AsyncSession, *, event_id: uuid.UUID, door: str, ttl: timedelta = PAIRING_TTL
) -> Pairing:
    code = secrets.token_urlsafe(32)
    session.add(
        ScannerPairing(
            event_id=event_id, code_hash=digest(code), door=door, expires_at=utcnow() + ttl
        )
    )
    await session.flush()
    return Pairing(code=code, door=door)


def pairing_link(base_url: str, code: str) -> str:
    """The link a door phone opens. The code rides in the fragment: it never reaches a log."""
    return f"{base_url.rstrip('/')}/scan#pair={code}"


async def pair_device(session: AsyncSession, *, code: str, name: str) -> PairedDevice:
    pairing = await session.scalar(
        select(ScannerPairing).where(ScannerPairing.code_hash == digest(code))
    )
    if pairing is None or pairing.revoked_at is not None or pairing.expires_at <= utcnow():
        raise PairingError(
            "This pairing link is unknown, expired or revoked. Ask the organizer for a new one."
        )
    token = secrets.token_urlsafe(32)
    device = ScannerDevice(
        event_id=pairing.event_id, name=name or pairing.door, token_hash=digest(token)
    )
    session.add(device)
    await session.flush()
    event = await session.get_one(Event, pairing.event_id)
    return PairedDevice(device=device, token=token, event=event)


async def device_for_token(session: AsyncSession, *, token: str) -> ScannerDevice | None:
    """The active device holding this bearer token, or None (unknown or revoked)."""
    device = await session.scalar(
        select(ScannerDevice).where(ScannerDevice.token_hash == digest(token))
    )
    if device is None or device.revoked_at is not None:
        return None
    return device
