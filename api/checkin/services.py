"""Pairing door phones: a pairing link per event, exchanged for a device bearer token.

Codes and tokens are 256-bit random strings; only their SHA-256 is stored, so a database dump
pairs no phone and impersonates no device. A link pairs one phone unless made for more; each
pairing takes a use with one conditional UPDATE, so phones racing on a single-use link pair
exactly one. Making or revoking a link, and revoking a device, is audited.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import DoorList, Event, ScannerDevice, ScannerPairing, utcnow
from api.errors import NotFound

PAIRING_TTL = timedelta(days=7)
MAX_USES = 50
"""The most phones one link may pair: a door team, not a crowd."""

Revocable = TypeVar("Revocable", ScannerPairing, ScannerDevice)

UNKNOWN = "This pairing link is unknown. Ask the organizer for a new one."
REVOKED = "This pairing link was revoked — ask the organizer for a new one."
EXPIRED = "This pairing link has expired — ask the organizer for a new one."


def used_up(max_uses: int) -> str:
    if max_uses == 1:
        return (
            "This pairing link was for one phone and has already paired it — "
            "ask the organizer for a new one."
        )
    return (
        f"This pairing link has already paired all {max_uses} phones it was made for — "
        "ask the organizer for a new one."
    )


class PairingError(Exception):
    """The pairing code is unknown, expired, revoked or used up."""


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
    session: AsyncSession,
    *,
    event_id: uuid.UUID,
    door: str,
    uses: int = 1,
    actor: str = "system",
    ttl: timedelta = PAIRING_TTL,
    may_search: bool = False,
    door_list_id: uuid.UUID | None = None,
) -> Pairing:
    """A new link pairing up to `uses` phones (1..MAX_USES), audited as made by `actor`;
    with `may_search` ("scan and search") its phones may download guest names."""
    if not 1 <= uses <= MAX_USES:
        raise ValueError(f"A pairing link pairs 1 to {MAX_USES} phones, not {uses}.")
    if door_list_id is not None:
        door_list = await session.get(DoorList, door_list_id)
        if door_list is None or door_list.event_id != event_id:
            raise ValueError("This door list is not one of this event's.")
    code = secrets.token_urlsafe(32)
    pairing = ScannerPairing(
        event_id=event_id,
        code_hash=digest(code),
        door=door,
        expires_at=utcnow() + ttl,
        max_uses=uses,
        uses_left=uses,
        may_search=may_search,
        door_list_id=door_list_id,
    )
    session.add(pairing)
    await session.flush()
    event = await session.get_one(Event, event_id)
    audit.record(
        session,
        organizer_id=event.organizer_id,
        actor=actor,
        action="device.pairing_created",
        target=door,
        details={
            "pairing_id": str(pairing.id),
            "event_id": str(event_id),
            "uses": uses,
            "may_search": may_search,
            "door_list_id": None if door_list_id is None else str(door_list_id),
        },
    )
    return Pairing(code=code, door=door)


def pairing_link(base_url: str, code: str) -> str:
    """The link a door phone opens. The code rides in the fragment: it never reaches a log."""
    return f"{base_url.rstrip('/')}/scan#pair={code}"


async def pair_device(session: AsyncSession, *, code: str, name: str) -> PairedDevice:
    # One statement takes a use: concurrent pairings queue on the row lock and each re-checks
    # `uses_left > 0` after the one before it commits ("check, then decrement" would let 20
    # phones through a single-use link).
    taken = (
        await session.execute(
            update(ScannerPairing)
            .where(
                ScannerPairing.code_hash == digest(code),
                ScannerPairing.uses_left > 0,
                ScannerPairing.revoked_at.is_(None),
                ScannerPairing.expires_at > utcnow(),
            )
            .values(uses_left=ScannerPairing.uses_left - 1)
            .returning(
                ScannerPairing.id,
                ScannerPairing.event_id,
                ScannerPairing.door,
                ScannerPairing.may_search,
                ScannerPairing.door_list_id,
            )
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if taken is None:
        raise PairingError(await _refusal(session, code))
    pairing_id, event_id, door, may_search, door_list_id = taken
    token = secrets.token_urlsafe(32)
    device = ScannerDevice(
        event_id=event_id,
        name=name or door,
        token_hash=digest(token),
        pairing_id=pairing_id,
        may_search=may_search,
        door_list_id=door_list_id,
    )
    session.add(device)
    await session.flush()
    event = await session.get_one(Event, event_id)
    return PairedDevice(device=device, token=token, event=event)


async def _refusal(session: AsyncSession, code: str) -> str:
    """Why a code paired nothing, in words for the person holding the phone."""
    pairing = await session.scalar(
        select(ScannerPairing).where(ScannerPairing.code_hash == digest(code))
    )
    if pairing is None:
        return UNKNOWN
    if pairing.revoked_at is not None:
        return REVOKED
    if pairing.uses_left <= 0:
        return used_up(pairing.max_uses)
    return EXPIRED


async def revoke_pairing(
    session: AsyncSession, *, event: Event, pairing_id: uuid.UUID, actor: str
) -> ScannerPairing:
    """Stop a link pairing more phones (the phones it paired keep working)."""
    return await _revoke(session, ScannerPairing, event=event, row_id=pairing_id, actor=actor)


async def revoke_device(
    session: AsyncSession, *, event: Event, device_id: uuid.UUID, actor: str
) -> ScannerDevice:
    """Remove a phone from the door: its token stops working at once."""
    return await _revoke(session, ScannerDevice, event=event, row_id=device_id, actor=actor)


_REVOKED: dict[type[Any], tuple[str, str, str]] = {
    ScannerPairing: ("device.pairing_revoked", "pairing_id", "No such pairing link."),
    ScannerDevice: ("device.revoked", "device_id", "No such device."),
}
"""Per kind: its audit action, the detail naming it, the refusal for one not of the event."""


async def _revoke(
    session: AsyncSession, kind: type[Revocable], *, event: Event, row_id: uuid.UUID, actor: str
) -> Revocable:
    """Revoke a link or a device of `event` once (audited, not committed); NotFound for one of
    another event, or none."""
    action, key, missing = _REVOKED[kind]
    row = await session.get(kind, row_id)
    if row is None or row.event_id != event.id or getattr(row, "dashboard", False):
        raise NotFound(missing)  # the dashboard's own device is no phone to remove
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        target = row.door if isinstance(row, ScannerPairing) else row.name
        audit.record(
            session,
            organizer_id=event.organizer_id,
            actor=actor,
            action=action,
            target=target,
            details={key: str(row.id), "event_id": str(event.id)},
        )
    return row


async def device_for_token(session: AsyncSession, *, token: str) -> ScannerDevice | None:
    """The active device holding this bearer token, or None (unknown or revoked)."""
    device = await session.scalar(
        select(ScannerDevice).where(ScannerDevice.token_hash == digest(token))
    )
    if device is None or device.revoked_at is not None:
        return None
    return device
