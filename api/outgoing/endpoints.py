"""Registering an organizer's endpoints, and what the dashboard shows of them.

Each endpoint gets its own signing secret (`whsec_…`), shown once when it is made and
afterwards only to owners who ask to reveal it (audited). It is kept sealed with a key derived
from SECRET_KEY (the app signs with it, so it cannot be stored hashed).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.crypto import fernet
from api.db import OutboxMessage, WebhookDelivery, WebhookEndpoint, utcnow
from api.errors import Invalid, NotFound, Refused
from api.outgoing.emit import EVENT_TYPES, JOB
from api.outgoing.targets import check_url
from api.settings import Settings

PURPOSE = b"poctix outgoing webhook secret v1"
MAX_ENDPOINTS = 20
"""Endpoints per organizer: each one is a delivery per event on every sale."""


def seal(secret: str, *, secret_key: str) -> bytes:
    return fernet(secret_key, PURPOSE).encrypt(secret.encode())


def unseal(sealed: bytes, *, secret_key: str) -> str:
    try:
        return fernet(secret_key, PURPOSE).decrypt(sealed).decode()
    except InvalidToken as exc:  # SECRET_KEY changed since the endpoint was made
        raise Refused("This endpoint's secret cannot be read with the current SECRET_KEY.") from exc


@dataclass(frozen=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str
    """Shown once, on the page that follows."""


async def create(
    session: AsyncSession, *, organizer_id: uuid.UUID, url: str, events: Sequence[str],
    actor: str, settings: Settings,
) -> Created:  # fmt: skip
    """Register an endpoint (the caller commits). Raises Invalid for a bad URL or no events."""
    problems: list[str] = []
    try:
        clean = check_url(url, settings=settings)
    except Invalid as exc:
        problems.extend(exc.messages)
        clean = ""
    chosen = [t for t in EVENT_TYPES if t in set(events)]
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        problems.append(f"Unknown event types: {', '.join(unknown)}.")
    elif not chosen:
        problems.append("Choose at least one event to send.")
    count = len(await endpoints_of(session, organizer_id=organizer_id))
    if count >= MAX_ENDPOINTS:
        problems.append(f"An organizer has {MAX_ENDPOINTS} endpoints at most.")
    if problems:
        raise Invalid(*problems)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        organizer_id=organizer_id, url=clean, events=chosen, enabled=True, created_by=actor,
        secret_sealed=seal(secret, secret_key=settings.secret_key),
    )  # fmt: skip
    session.add(endpoint)
    await session.flush()
    audit.record(
        session, organizer_id=organizer_id, actor=actor, action="webhook_endpoint.created",
        target=str(endpoint.id), details={"url": clean, "events": chosen},
    )  # fmt: skip
    return Created(endpoint=endpoint, secret=secret)


async def endpoints_of(session: AsyncSession, *, organizer_id: uuid.UUID) -> list[WebhookEndpoint]:
    rows = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.organizer_id == organizer_id)
        .order_by(WebhookEndpoint.created_at)
    )
    return list(rows)


async def endpoint_of(
    session: AsyncSession, *, organizer_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organizer_id != organizer_id:
        raise NotFound("No such endpoint.")
    return endpoint


async def set_enabled(
    session: AsyncSession, *, organizer_id: uuid.UUID, endpoint_id: uuid.UUID, enabled: bool,
    actor: str,
) -> WebhookEndpoint:  # fmt: skip
    endpoint = await endpoint_of(session, organizer_id=organizer_id, endpoint_id=endpoint_id)
    if endpoint.enabled != enabled:
        endpoint.enabled = enabled
        audit.record(
            session, organizer_id=organizer_id, actor=actor,
            action="webhook_endpoint.enabled" if enabled else "webhook_endpoint.disabled",
            target=str(endpoint.id), details={"url": endpoint.url},
        )  # fmt: skip
    return endpoint


async def remove(
    session: AsyncSession, *, organizer_id: uuid.UUID, endpoint_id: uuid.UUID, actor: str
) -> None:
    """Delete an endpoint with its delivery log; its jobs still queued give up when they run."""
    endpoint = await endpoint_of(session, organizer_id=organizer_id, endpoint_id=endpoint_id)
    audit.record(
        session, organizer_id=organizer_id, actor=actor, action="webhook_endpoint.removed",
        target=str(endpoint.id), details={"url": endpoint.url},
    )  # fmt: skip
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))


async def reveal(
    session: AsyncSession, *, organizer_id: uuid.UUID, endpoint_id: uuid.UUID, actor: str,
    settings: Settings,
) -> str:  # fmt: skip
    """The endpoint's signing secret, for an owner (audited; the caller checks the role)."""
    endpoint = await endpoint_of(session, organizer_id=organizer_id, endpoint_id=endpoint_id)
    audit.record(
        session, organizer_id=organizer_id, actor=actor, action="webhook_endpoint.secret_revealed",
        target=str(endpoint.id), details={"url": endpoint.url},
    )  # fmt: skip
    return unseal(endpoint.secret_sealed, secret_key=settings.secret_key)


async def deliveries(
    session: AsyncSession, *, endpoint_id: uuid.UUID, limit: int = 100
) -> list[WebhookDelivery]:
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
    )
    return list(rows)


async def resend(
    session: AsyncSession, *, organizer_id: uuid.UUID, delivery_id: uuid.UUID, actor: str
) -> WebhookDelivery:
    """Queue a delivery again, now: the same event id and body (the caller commits)."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery.")
    endpoint = await endpoint_of(
        session, organizer_id=organizer_id, endpoint_id=delivery.endpoint_id
    )
    if not endpoint.enabled:
        raise Refused("This endpoint is disabled: enable it to send to it again.")
    delivery.status = "pending"
    session.add(
        OutboxMessage(kind=JOB, payload={"delivery_id": str(delivery.id)}, available_at=utcnow())
    )
    audit.record(
        session, organizer_id=organizer_id, actor=actor, action="webhook_delivery.resent",
        target=delivery.event_id,
        details={"endpoint": str(endpoint.id), "url": endpoint.url, "type": delivery.type},
    )  # fmt: skip
    return delivery
