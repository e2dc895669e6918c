"""Who calls the organizer API: an API key in `Authorization: Bearer ptx_…`, checked by a guard.

The guard runs before any dependency (so a refused request opens no database session for its
handler), in this order: the key (401 when missing, unknown or revoked), the scope the operation
names in its `opt` (403), the query parameters the operation takes (`opt["query"]`: any other
is a 400, so `?statuss=paid` is not silently "every order"), then the key's allowance (429
with `Retry-After`, counted per key by `api.web.ratelimit`, in Redis when configured). The
handler's dependencies then resolve what the path names, within the key's organizer only:
another organizer's event or order is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, TypeAlias

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, SkipValidation
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.db import ApiKey, Event, Order
from api.organizer_api.keys import SCOPES, key_for_secret
from api.web.deps import DB
from api.web.ratelimit import RateLimited, allowance

PER_MINUTE = 1200
"""Requests per key per minute: 20 a second, well above a sync loop's needs."""

UNKNOWN_KEY = (
    "Send an organizer API key as `Authorization: Bearer ptx_…` (owners make them on the "
    "organizer's API keys page). This one is missing, unknown or revoked."
)

# OpenAPI: the key (see SECURITY_SCHEMES in api/app.py).
KEY_SECURITY: list[dict[str, list[str]]] = [{"organizerKey": []}]


async def key_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    scheme, _, secret = connection.headers.get("authorization", "").partition(" ")
    key = None
    if scheme.lower() == "bearer" and secret.strip():
        async with connection.app.state.sessions() as session:
            key = await key_for_secret(session, secret=secret.strip())
    if key is None:
        raise NotAuthorizedException(detail=UNKNOWN_KEY, headers={"WWW-Authenticate": "Bearer"})
    scope = handler.opt["scope"]
    assert scope in SCOPES, f"{handler}: opt['scope'] names a scope"
    if scope not in key.scopes:
        raise PermissionDeniedException(
            detail=f"This key may not do this: it needs the `{scope}` scope "
            f"(the key has {', '.join(key.scopes)})."
        )
    unknown = sorted(set(connection.query_params) - set(handler.opt.get("query", ())))
    if unknown:
        takes = ", ".join(handler.opt.get("query", ())) or "none"
        raise ValidationException(
            detail=f"Unknown query parameter: {', '.join(unknown)} (this call takes {takes})."
        )
    retry_after = await allowance(
        connection.app.state, bucket="organizer-api", client=str(key.id),
        per_window=PER_MINUTE, window_seconds=60,
    )  # fmt: skip
    if retry_after is not None:
        raise RateLimited(
            detail=f"This key made more than {PER_MINUTE} requests this minute. Try again in "
            f"{math.ceil(retry_after)} s.",
            headers={"Retry-After": str(retry_after)},
        )
    connection.state.api_key = key


def provide_key(request: Request[Any, Any, Any]) -> ApiKey:
    key: ApiKey = request.state.api_key  # set by `key_guard`
    return key


Key: TypeAlias = NamedDependency[SkipValidation[ApiKey]]


async def provide_event(db: DB, key: Key, event_id: FromPath[uuid.UUID]) -> Event:
    event = await db.get(Event, event_id)
    if event is None or event.organizer_id != key.organizer_id:
        raise NotFoundException(detail="No such event.")
    return event


async def provide_order(db: DB, key: Key, order_id: FromPath[str]) -> Order:
    """By the order's id (wire.Order.id), or by the public id of the buyer's passes link (whoever
    holds that link may name the order by it)."""
    try:
        which = Order.id == uuid.UUID(order_id)
    except ValueError:
        which = Order.public_id == order_id
    order = await db.scalar(select(Order).where(which).options(selectinload(Order.event)))
    if order is None or order.event.organizer_id != key.organizer_id:
        raise NotFoundException(detail="No such order.")
    return order


DEPENDENCIES: dict[str, Any] = {
    "key": Provide(provide_key, sync_to_thread=False),
    "event": Provide(provide_event),
    "order": Provide(provide_order),
}

ThisEvent: TypeAlias = NamedDependency[SkipValidation[Event]]
ThisOrder: TypeAlias = NamedDependency[SkipValidation[Order]]
