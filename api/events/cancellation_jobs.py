"""The outbox jobs of an event's cancellation (api/events/cancellation.py), as the worker runs
them: each in the worker's claiming transaction, which commits the job's work with its status.

(`api.outbox.worker` lists these in its table; its `Done`/`Retry`/`GiveUp` are imported where
used, since the worker imports this module.)
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from api.errors import DomainError, Unavailable
from api.events import cancellation
from api.payments.gateway import gateway_for

if TYPE_CHECKING:
    from api.outbox.worker import Done, JobContext


def _uuid(payload: dict[str, Any], name: str) -> uuid.UUID:
    from api.outbox.worker import GiveUp

    try:
        return uuid.UUID(str(payload[name]))
    except (KeyError, ValueError) as exc:
        raise GiveUp(f"the payload names no {name}: {payload!r}") from exc


async def order_job(payload: dict[str, Any], ctx: JobContext) -> Done:
    """Void, email and refund one order; Stripe down is tried again later, a refusal (no Stripe
    payment to refund) fails the job for the organizer to see."""
    from api.outbox.worker import Done, GiveUp, Retry

    gateway = gateway_for(ctx.settings)
    try:
        note = await cancellation.cancel_order(
            ctx.session, gateway,
            cancellation_id=_uuid(payload, "cancellation_id"),
            order_id=_uuid(payload, "order_id"),
        )  # fmt: skip
    except Unavailable as exc:
        raise Retry(exc.message) from exc
    except DomainError as exc:
        raise GiveUp(exc.message) from exc
    finally:
        if gateway is not None:
            await gateway.aclose()
    return Done(provider="stripe" if note.get("refund_id") else "poctix", note=note)


async def sweep_job(payload: dict[str, Any], ctx: JobContext) -> Done:
    from api.outbox.worker import Done

    note = await cancellation.sweep(ctx.session, cancellation_id=_uuid(payload, "cancellation_id"))
    return Done(provider="poctix", note=note)


HANDLERS = {cancellation.ORDER_JOB: order_job, cancellation.SWEEP_JOB: sweep_job}
