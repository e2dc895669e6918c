"""The outbox job that sends one delivery (kind `webhook_delivery`, payload `delivery_id`).

It POSTs the delivery's stored body with a fresh `POCtix-Signature`, and records the attempt
on the delivery row (the dashboard's log). Any 2xx answer delivers it. Anything else (an error
status, a timeout, a refused connection) is tried again by the outbox with its exponential
backoff (5 s doubling to 30 min) until MAX_ATTEMPTS; then the delivery is `failed` and an
organizer may "Resend" it. Redirects are not followed (a redirect could lead anywhere).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx

from api.db import WebhookDelivery, WebhookEndpoint, utcnow
from api.errors import DomainError
from api.outgoing import signing
from api.outgoing.endpoints import unseal
from api.outgoing.targets import check_resolved

if TYPE_CHECKING:
    from api.outbox.worker import Done, JobContext

MAX_ATTEMPTS = 16
"""About six hours of retries with the outbox's backoff."""
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "POCtix-Webhooks/1"


async def send(payload: dict[str, Any], ctx: JobContext) -> Done:
    from api.outbox.worker import Done, GiveUp, Retry

    try:
        delivery_id = uuid.UUID(str(payload["delivery_id"]))
    except (KeyError, ValueError) as exc:
        raise GiveUp(f"the payload names no delivery: {payload!r}") from exc
    async with ctx.session.begin_nested():
        delivery = await ctx.session.get(WebhookDelivery, delivery_id, with_for_update=True)
        endpoint = (
            await ctx.session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        )
    if delivery is None or endpoint is None:
        raise GiveUp("the endpoint was removed")
    if not endpoint.enabled:
        delivery.status = "failed"
        delivery.last_error = "endpoint disabled"
        raise GiveUp("the endpoint is disabled")
    delivery.attempts += 1
    delivery.last_attempt_at = utcnow()
    try:
        await check_resolved(endpoint.url, settings=ctx.settings)
        secret = unseal(endpoint.secret_sealed, secret_key=ctx.settings.secret_key)
    except DomainError as exc:
        delivery.response_code = None
        return _failed(delivery, exc.message, retry=Retry, give_up=GiveUp)
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "POCtix-Event-Id": delivery.event_id,
        signing.HEADER: signing.header(secret=secret, body=body),
    }
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
            answer = await client.post(endpoint.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        delivery.response_code = None
        return _failed(
            delivery, f"{type(exc).__name__}: {exc}".rstrip(": "),
            retry=Retry, give_up=GiveUp,
        )  # fmt: skip
    delivery.response_code = answer.status_code
    if not answer.is_success:
        said = answer.text[:300].strip()
        return _failed(
            delivery, f"HTTP {answer.status_code}" + (f": {said}" if said else ""),
            retry=Retry, give_up=GiveUp,
        )  # fmt: skip
    delivery.status = "delivered"
    delivery.delivered_at = utcnow()
    delivery.last_error = None
    return Done(
        provider="webhook",
        note={"event_id": delivery.event_id, "response_code": answer.status_code},
    )


def _failed(
    delivery: WebhookDelivery, error: str, *, retry: type[Exception], give_up: type[Exception]
) -> Done:
    delivery.last_error = error[:2000]
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
        raise give_up(f"{delivery.event_id}: {error} (after {delivery.attempts} attempts)")
    delivery.status = "pending"
    raise retry(f"{delivery.event_id}: {error}")
