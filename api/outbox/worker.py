"""Durable background jobs from the outbox: claimed with FOR UPDATE SKIP LOCKED, retried with
backoff, never dropped.

A row is written in the transaction that causes it and goes `pending` → `sent` (done),
`kept` (an email while no provider is configured: listed by `poctix outbox` and the dashboard,
`poctix outbox --release` queues it again) or `failed` (can never succeed, e.g. an address that
does not parse; `last_error` says why). A failure that may pass (a provider down) leaves the row
pending with `attempts`, `last_error` and a later `available_at` (exponential backoff).

Each job runs in its own transaction that keeps the row locked while the job runs; the row's new
status commits only after the job succeeded. So several workers never run one job at once, and a
worker killed mid-send leaves its row pending and unlocked for the next worker (the message
then goes out; a provider that accepted it just before the kill receives it twice: at least
once, never lost).

Waking: every insert into `outbox_message` NOTIFYs channel `outbox` (a trigger; PostgreSQL
delivers it when the inserting transaction commits). The worker LISTENs on its own connection
(`api.db.listen.Listener`) and also polls every `every` seconds, for retries coming due and as
the fallback while the listening connection is down (it reconnects on the next round).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api import mail
from api.checkout.sweep import release_lapsed_holds
from api.db import OutboxMessage, utcnow
from api.db.listen import Listener
from api.events import cancellation_jobs
from api.outgoing import delivery as outgoing_delivery
from api.outgoing import hooks as outgoing_hooks
from api.outgoing.emit import JOB as WEBHOOK_DELIVERY
from api.payments.gateway import gateway_for
from api.settings import Settings
from api.waiting.offers import expire_lapsed_offers
from api.web.observability import sentry_tags

log = logging.getLogger(__name__)
CHANNEL = "outbox"
MAX_BACKOFF = timedelta(minutes=30)
CONCURRENCY = 4
"""Jobs one worker runs at once (each on its own connection): sending is mostly waiting."""
BATCH = 100
"""Jobs one `run_due` call runs at most, whatever their outcome. Its claim query leaves out the
jobs the call already ran (`NOT IN`), and that list must stay short: uncapped, a 30-minute soak
with no email provider (every email kept) grew it to thousands of parameters, 70 ms a claim,
and PostgreSQL backends of 750 MB."""
REPORT_AFTER = 5
"""Attempts after which a job still failing is reported (once) as an error, not only as a
warning: a provider that refuses a message every time otherwise retries unseen for ever."""
STOP_GRACE = 15.0
"""Seconds a stopping worker gives its jobs in flight (the API's and SMTP's timeouts fit)."""
QUIET = 0.02
"""Before each job, the worker waits for the notifications to pause this long: while a tier
sells out, sales commit a few milliseconds apart, and rendering their confirmations meanwhile
took CPU and PostgreSQL time from the buyers still waiting (the sold-out burst's p95 0.9-1.0 s
with the worker, 0.5-0.7 s without: bench/README.md). A sale on a quiet day waits this long;
20 sales a second (50 ms apart) hardly wait at all (email steady p95 0.3 s, was 0.8 s)."""
HOLD_AT_MOST = 1.0
"""... but a round of jobs waits no longer than this in all, from its start: under a steady
stream of sales the mail still goes out, a second late at most."""


@dataclass(frozen=True)
class JobContext:
    """What a job may use. `session` is the claiming transaction (the row stays locked): read
    through it inside a savepoint, so a job needs one connection, never two at once."""

    settings: Settings
    session: AsyncSession
    mailer: mail.Mailer


@dataclass(frozen=True)
class Done:
    """A job that succeeded: who carried it out, and facts to keep on the row's payload."""

    provider: str
    note: dict[str, Any] = field(default_factory=dict)


Job = Callable[[dict[str, Any], JobContext], Awaitable[Done]]


class Retry(Exception):
    """The job could not run now; it is tried again later."""


class Keep(Exception):
    """The job is set aside (status `kept`) until someone releases it."""

    def __init__(self, reason: str, note: dict[str, Any]) -> None:
        super().__init__(reason)
        self.note = note


class GiveUp(Exception):
    """Trying again cannot help: the row is marked `failed`."""


async def stripe_refund(payload: dict[str, Any], ctx: JobContext) -> Done:
    """Refund a payment that cannot be honoured (it completed after its seats were resold)."""
    gateway = gateway_for(ctx.settings)
    if gateway is None:
        raise Retry("Stripe is not configured")
    try:
        refund_id = await gateway.refund(
            payment_intent=payload["payment_intent"],
            amount=None,
            metadata={"order_id": payload["order_id"], "reason": payload.get("reason", "")},
            idempotency_key=f"auto-refund-{payload['order_id']}",
        )
    finally:
        await gateway.aclose()
    return Done(provider="stripe", note={"refund_id": refund_id})


def email(kind: str) -> Job:
    """The job that renders and sends one kind of email (see `api.mail.outbox`)."""

    async def send(payload: dict[str, Any], ctx: JobContext) -> Done:
        try:
            sent = await mail.deliver(
                kind=kind, payload=payload, session=ctx.session, mailer=ctx.mailer
            )
        except mail.NotConfigured as exc:
            raise Keep(str(exc), exc.summary) from exc
        except mail.Undeliverable as exc:
            raise GiveUp(str(exc)) from exc
        return Done(provider=sent.provider, note=sent.summary)

    return send


HANDLERS: dict[str, Job] = {
    "stripe_refund": stripe_refund,
    **cancellation_jobs.HANDLERS,
    WEBHOOK_DELIVERY: outgoing_delivery.send,  # outgoing webhooks (api/outgoing/)
    outgoing_hooks.FREE_ORDER_PAID: outgoing_hooks.free_order_paid,
    **{k: email(k) for k in mail.KINDS},
}


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** min(attempts, 12)), MAX_BACKOFF)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


async def _claim(
    session: AsyncSession, kinds: list[str], *, now: datetime, skip: set[uuid.UUID]
) -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.available_at <= now,
            OutboxMessage.kind.in_(kinds),
        )
        .order_by(OutboxMessage.available_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if skip:
        query = query.where(OutboxMessage.id.not_in(skip))
    return await session.scalar(query)


async def _run_one(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    mailer: mail.Mailer,
    table: dict[str, Job],
    *,
    now: datetime | None,
    skip: set[uuid.UUID],
) -> bool | None:
    """Claim and run one due job; None when there is none, else whether it succeeded."""
    async with sessions() as session:
        job = await _claim(session, list(table), now=now or utcnow(), skip=skip)
        if job is None:
            return None
        skip.add(job.id)
        job.attempts += 1
        succeeded = False
        ctx = JobContext(settings=settings, session=session, mailer=mailer)
        try:
            done = await table[job.kind](dict(job.payload), ctx)
        except Keep as exc:
            job.status = "kept"
            job.payload = {**job.payload, **exc.note}
            job.last_error = str(exc)
        except GiveUp as exc:
            job.status = "failed"
            job.last_error = _error(exc)
            # An error, so Sentry reports it: no one else learns that this message never left.
            # The job's kind and id say which row; its payload (tokens, addresses) stays out.
            with sentry_tags(job_kind=job.kind, job_id=str(job.id)):
                log.error("job %s (%s) failed for good: %s", job.id, job.kind, exc)
        except Exception as exc:
            job.last_error = _error(exc)
            job.available_at = utcnow() + backoff(job.attempts)
            if job.attempts == REPORT_AFTER:
                with sentry_tags(job_kind=job.kind, job_id=str(job.id)):
                    log.error("job %s (%s) still failing after %d attempts, retrying later: %s",
                              job.id, job.kind, job.attempts, exc)  # fmt: skip
            else:
                log.warning("job %s (%s) failed, retrying later: %s", job.id, job.kind, exc)
        else:
            succeeded = True
            job.status = "sent"
            job.sent_at = utcnow()
            job.last_error = None
            job.provider = done.provider[:20]
            if done.note:
                job.payload = {**job.payload, **done.note}
        await session.commit()
        return succeeded


async def run_due(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    handlers: dict[str, Job] | None = None,
    limit: int = 20,
    now: datetime | None = None,
    mailer: mail.Mailer | None = None,
    stopping: asyncio.Event | None = None,
) -> int:
    """Run the jobs that are due (at `now`, default the present), each at most once per call,
    until none is left, `limit` succeeded, BATCH were run or `stopping` is set; return how many
    succeeded (kept, failed and retried jobs are not counted)."""
    done, _ = await _run_batch(
        sessions, settings, handlers=handlers, limit=limit, now=now, mailer=mailer,
        stopping=stopping,
    )  # fmt: skip
    return done


async def _run_batch(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    handlers: dict[str, Job] | None = None,
    limit: int = 20,
    now: datetime | None = None,
    mailer: mail.Mailer | None = None,
    stopping: asyncio.Event | None = None,
    pause: Callable[[], Awaitable[None]] | None = None,
) -> tuple[int, bool]:
    """`run_due`, also telling whether the queue was found empty; `pause` is awaited before
    each job (`Wakeup.settle`)."""
    table = HANDLERS if handlers is None else handlers
    sender = mailer or mail.Mailer(settings)
    done = 0
    skip: set[uuid.UUID] = set()
    try:
        async with _one_connection(sessions) as on_it:
            while done < limit and len(skip) < BATCH and not (stopping and stopping.is_set()):
                if pause is not None:
                    await pause()
                succeeded = await _run_one(on_it, settings, sender, table, now=now, skip=skip)
                if succeeded is None:
                    return done, True
                done += succeeded
    finally:
        if mailer is None:
            await sender.aclose()
    return done, False


@contextlib.asynccontextmanager
async def _one_connection(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions for a batch's jobs, one after another, on one connection of the pool: each job
    still runs in its own transaction, but taking a connection from the pool for every job cost
    a pre-ping (three statements) each time, a tenth of the worker's time under a burst."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        yield sessions
        return
    async with bind.connect() as connection:
        yield async_sessionmaker(connection, class_=sessions.class_, **_without_bind(sessions.kw))


def _without_bind(options: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in options.items() if name != "bind"}


class Wakeup:
    """Wakes the worker on the `outbox` channel (a shared `Listener`); polling covers the rest."""

    def __init__(self, url: URL | None) -> None:
        self._listener = Listener(url, CHANNEL) if url is not None else None
        self._event = asyncio.Event()
        self._last = 0.0
        if self._listener is not None:
            self._listener.subscribe(self._poked)

    @property
    def listening(self) -> bool:
        return self._listener is not None and self._listener.listening

    async def listen(self) -> None:
        """Make sure we are listening; on failure, stay with polling (logged once)."""
        if self._listener is not None:
            await self._listener.ensure()

    def _poked(self, _payload: str | None) -> None:
        self._event.set()  # a new row, or the connection lost: run a round either way
        self._last = asyncio.get_running_loop().time()

    async def settle(self, until: float, quiet: float = QUIET) -> None:
        """Until no notification came for `quiet` seconds, or the loop's clock reads `until`."""
        loop = asyncio.get_running_loop()
        while (left := min(self._last + quiet, until) - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)  # a deadline that moves with each notification

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, seconds: float) -> bool:
        """Until a NOTIFY (or the loss of the connection), at most `seconds`; True if woken."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
        return self._event.is_set()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()


def _url(sessions: async_sessionmaker[AsyncSession]) -> URL | None:
    bind = sessions.kw.get("bind")
    return bind.url if isinstance(bind, AsyncEngine) else None


async def _sweep(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Release holds whose Checkout Session ran out without Stripe telling us (see sweep.py),
    and expire waiting-list offers past their time (api/waiting/offers.py)."""
    try:
        async with sessions() as session:
            released = await release_lapsed_holds(session)
        if released:
            log.info("released %d lapsed hold(s)", released)
    except Exception:
        log.exception("hold sweep failed")
    try:
        async with sessions() as session:
            expired = await expire_lapsed_offers(session)
        if expired:
            log.info("%d waiting-list offer(s) expired and passed down the list", expired)
    except Exception:
        log.exception("waiting-list offer sweep failed")


async def work_forever(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    every: float = 2.0,
    concurrency: int = CONCURRENCY,
) -> None:
    """The worker loop of `poctix worker` (and of `poctix run` when WORKER_IN_PROCESS).

    Cancelled (shutdown), it claims nothing more but lets the jobs in flight finish and commit,
    for up to STOP_GRACE seconds: a message handed to a provider is then recorded as sent
    instead of going out again from the next worker.
    """
    wakeup = Wakeup(_url(sessions))
    mailer = mail.Mailer(settings)
    stopping = asyncio.Event()

    async def one_round() -> list[tuple[int, bool] | BaseException]:
        deadline = asyncio.get_running_loop().time() + HOLD_AT_MOST

        async def pause() -> None:
            await wakeup.settle(until=deadline)

        return await asyncio.gather(
            *(
                _run_batch(sessions, settings, mailer=mailer, stopping=stopping, pause=pause)
                for _ in range(concurrency)
            ),
            return_exceptions=True,
        )

    try:
        while True:
            await wakeup.listen()
            wakeup.clear()  # before the round: a commit during the round wakes the next one
            current = asyncio.ensure_future(one_round())
            try:
                rounds = await asyncio.shield(current)
            except asyncio.CancelledError:
                stopping.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(current, STOP_GRACE)
                raise
            for failure in (r for r in rounds if isinstance(r, BaseException)):
                log.error("worker round failed", exc_info=failure)
            await _sweep(sessions)
            if any(isinstance(r, tuple) and not r[1] for r in rounds):
                continue  # a batch ended before the queue did: there is more
            await wakeup.wait(every)
    finally:
        await wakeup.close()
        await mailer.aclose()
