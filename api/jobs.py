"""Durable background jobs from the outbox: claimed with FOR UPDATE SKIP LOCKED, retried with
backoff, never dropped.

Each kind of job has one handler. A row whose kind has no handler in this process stays pending
for a process that has one (e.g. emails when a provider is configured).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db import OutboxMessage, utcnow
from api.payments.gateway import gateway_for
from api.settings import Settings

log = logging.getLogger(__name__)
Job = Callable[[dict[str, Any], Settings], Awaitable[str]]
MAX_BACKOFF = timedelta(minutes=30)


class Retry(Exception):
    """The job could not run now; it is tried again later."""


async def stripe_refund(payload: dict[str, Any], settings: Settings) -> str:
    """Refund a payment that cannot be honoured (it completed after its seats were resold)."""
    gateway = gateway_for(settings)
    if gateway is None:
        raise Retry("Stripe is not configured")
    try:
        return await gateway.refund(
            payment_intent=payload["payment_intent"],
            amount=None,
            metadata={"order_id": payload["order_id"], "reason": payload.get("reason", "")},
            idempotency_key=f"auto-refund-{payload['order_id']}",
        )
    finally:
        await gateway.aclose()


HANDLERS: dict[str, Job] = {"stripe_refund": stripe_refund}


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** min(attempts, 12)), MAX_BACKOFF)


async def _claim(session: AsyncSession, kinds: list[str], limit: int) -> list[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.available_at <= utcnow(),
            OutboxMessage.kind.in_(kinds),
        )
        .order_by(OutboxMessage.available_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def run_due(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    handlers: dict[str, Job] | None = None,
    limit: int = 20,
) -> int:
    """Run the jobs that are due; return how many succeeded. Each job has its own transaction,
    held (row locked) while it runs, so two workers never run one job twice."""
    table = HANDLERS if handlers is None else handlers
    done = 0
    while True:
        async with sessions() as session:
            claimed = await _claim(session, list(table), 1)
            if not claimed:
                return done
            job = claimed[0]
            job.attempts += 1
            try:
                outcome = await table[job.kind](dict(job.payload), settings)
            except Exception as exc:
                job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                job.available_at = utcnow() + backoff(job.attempts)
                log.warning("job %s (%s) failed, retrying later: %s", job.id, job.kind, exc)
            else:
                job.status = "sent"
                job.sent_at = utcnow()
                job.last_error = None
                job.provider = outcome[:20]
                done += 1
            await session.commit()
        if done >= limit:
            return done


async def work_forever(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, *, every: float = 2.0
) -> None:
    """The worker loop of `poctix worker` (and of `poctix run` when WORKER_IN_PROCESS)."""
    while True:
        try:
            await run_due(sessions, settings)
        except Exception:
            log.exception("worker round failed")
        await asyncio.sleep(every)
