"""Fault: a POCtix process killed (SIGKILL) in the middle of its work, then started again.

Webhook: `poctix run` dies while it is applying `checkout.session.completed` (its transaction
has recorded the event id and waits for the order's row). Stripe got no answer, so it retries
(the stand-in's `redeliver`); the restarted app fulfils the order exactly once: one set of
passes, one confirmation in the outbox; a further retry changes nothing.

Email: `poctix worker` dies while an SMTP server is taking the confirmation. The claim is a row
lock held by the job's transaction (api/outbox/worker.py), so the dead worker's claim vanishes
with its connection and the restarted worker sends the message. Killed before the server had the
message, the buyer gets it exactly once. Killed after the server had the whole message but before
it answered, the buyer gets it twice: the documented at-least-once of api/outbox/worker.py (SMTP
has no idempotency key); never lost, never stuck.
"""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, Pass, TicketTier
from api.settings import Settings
from tests import factories
from tests.fault_support import AppProcess, app_env, free_port, wait_serving
from tests.mail_standin import SmtpSink
from tests.mail_standin.kit import free_event, free_order, outbox
from tests.stripe_standin.standin import StripeStandin

pytestmark = pytest.mark.slow  # `make test-fast` leaves these out

COMPLETED = "checkout.session.completed"


async def _lock_waiters(db: AsyncSession) -> int:
    """Connections to this test's database waiting for a row lock."""
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )
    async with db.bind.connect() as conn:  # type: ignore[union-attr]
        return int((await conn.execute(text(query))).scalar_one())


async def _until(check: Any, *, within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.02)


async def test_app_killed_mid_webhook_fulfils_the_order_exactly_once_on_stripes_retry(
    db: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    assert settings.database_url
    with StripeStandin() as standin:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        standin.webhook_url = f"{url}/webhooks/stripe"
        standin.connect_webhook_url = f"{url}/webhooks/stripe-connect"
        organizer = await factories.organizer(db)
        organizer.stripe_account_id = standin.create_account(charges_enabled=True)["id"]
        organizer.charges_enabled = True
        event = await factories.event(db, org=organizer)
        tier = await factories.tier(db, event=event, price_minor=2500, capacity=10)
        await db.commit()
        tier_id, slug = tier.id, event.slug
        env = app_env(
            settings.database_url, tmp_path, BASE_URL=url, WORKER_IN_PROCESS="false",
            STRIPE_SECRET_KEY=standin.api_key, STRIPE_API_BASE=standin.url,
            STRIPE_WEBHOOK_SECRET=standin.webhook_secret,
            STRIPE_CONNECT_WEBHOOK_SECRET=standin.connect_webhook_secret,
        )  # fmt: skip
        app = AppProcess(["run", "--port", str(port)], env, tmp_path / "server.log")
        try:
            app.start()
            wait_serving(app, url)
            async with httpx.AsyncClient(base_url=url, timeout=10) as browser:
                page = await browser.get(f"/e/{slug}")
                hidden = dict(
                    re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
                )
                started = await browser.post(
                    f"/e/{slug}/checkout",
                    data={**hidden, f"qty-{tier_id}": "2", "email": "buyer@example.com"},
                )
            assert started.status_code == 303, started.text
            session_id = started.headers["location"].rsplit("/", 1)[-1]
            order_id = standin.get(session_id)["metadata"]["order_id"]

            # Someone else holds the order's row: the webhook's transaction will wait on it
            # after recording the event id, which is where the process is killed.
            async with db.bind.connect() as blocker:  # type: ignore[union-attr]
                tx = await blocker.begin()
                await blocker.execute(
                    text('SELECT id FROM "order" WHERE id = CAST(:id AS uuid) FOR UPDATE'),
                    {"id": order_id},
                )
                standin.complete_session(session_id)
                await _until(lambda: _lock_waiters(db), within=20,
                             what="the webhook's transaction waits for the order")  # fmt: skip
                app.kill()
                await tx.rollback()
            [first] = await standin.wait_for_async(type=COMPLETED)
            assert first.status_code is None  # Stripe got no answer: it will retry
            # The dead process's transaction is rolled back; nothing of it stays.
            # (Our lock request queues behind the dead transaction's: granted once it ended.)
            await db.execute(text("SET LOCAL lock_timeout = '20s'"))
            await db.execute(
                text('SELECT id FROM "order" WHERE id = CAST(:id AS uuid) FOR UPDATE'),
                {"id": order_id},
            )
            await db.rollback()
            db.expire_all()
            order = await db.scalar(select(Order).where(Order.id == order_id))
            assert order is not None
            assert order.status == "pending"
            assert await _count(db, "SELECT count(*) FROM stripe_event") == 0
            assert await _passes(db, order.id) == 0

            app.start()
            wait_serving(app, url)
            event_id = first.event_id
            standin.redeliver(event_id)
            deliveries = await standin.wait_for_async(event_id=event_id, count=2)
            assert deliveries[1].status_code == 200, deliveries[1].response_body
            # A retry after success (the 2xx was lost on the way) changes nothing.
            standin.redeliver(event_id)
            deliveries = await standin.wait_for_async(event_id=event_id, count=3)
            assert deliveries[2].status_code == 200, deliveries[2].response_body
        finally:
            app.stop()

    db.expire_all()
    order = await db.scalar(select(Order).where(Order.id == order_id))
    assert order is not None
    assert order.status == "paid"
    assert await _passes(db, order.id) == 2
    confirmations = [
        row for row in await outbox(db, "order_confirmation")
        if row.payload.get("order_id") == order_id
    ]  # fmt: skip
    assert len(confirmations) == 1
    refreshed = await db.get_one(TicketTier, tier_id)
    assert (refreshed.sold, refreshed.held) == (2, 0)
    assert await _count(db, "SELECT count(*) FROM stripe_event") == 1


async def _count(db: AsyncSession, sql: str) -> int:
    return int((await db.execute(text(sql))).scalar_one())


async def _passes(db: AsyncSession, order_id: Any) -> int:
    query = select(func.count()).select_from(Pass).where(Pass.order_id == order_id)
    return int(await db.scalar(query) or 0)


class SlowSmtp(SmtpSink):
    """The SMTP sink, but its first session stops at `stall_at` ("rcpt": before it has the
    message; "data": with the whole message taken, before answering) until `go` is set."""

    def __init__(self, stall_at: str) -> None:
        super().__init__()
        self.stall_at = stall_at
        self.stalled = threading.Event()
        self.go = threading.Event()

    async def _stall(self) -> None:
        if not self.stalled.is_set():
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.go.wait)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.stall_at == "rcpt":
            await self._stall()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall_at != "data" or self.stalled.is_set():
            return await super().handle_DATA(server, session, envelope)
        answer = await super().handle_DATA(server, session, envelope)  # taken: it has it
        await self._stall()
        return answer


@pytest.fixture(params=["rcpt", "data"])
def slow_smtp(request: pytest.FixtureRequest) -> Any:
    with SlowSmtp(request.param) as sink:
        sink.start()
        yield sink
        sink.go.set()


@pytest.fixture
def worker_env(settings: Settings, slow_smtp: SlowSmtp) -> dict[str, str]:
    assert settings.database_url
    return app_env(
        settings.database_url, settings.data_dir, BASE_URL=settings.base_url,
        SECRET_KEY=settings.secret_key, SMTP_HOST=slow_smtp.host, SMTP_PORT=str(slow_smtp.port),
        SMTP_TLS="none", MAIL_FROM="Reef Bar tickets <tickets@poctix.test>",
    )  # fmt: skip


async def test_worker_killed_mid_email_sends_it_after_restart_never_lost(
    db: AsyncSession,
    settings: Settings,
    slow_smtp: SlowSmtp,
    worker_env: dict[str, str],
    tmp_path: Path,
) -> None:
    slug, tier = await free_event(db)
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, email="ana@example.com")
    order_id = str(order.id)
    await db.commit()
    worker = AppProcess(["worker"], worker_env, tmp_path / "worker.log")
    try:
        worker.start()
        await asyncio.to_thread(slow_smtp.stalled.wait, 30)
        assert slow_smtp.stalled.is_set(), worker.output()
        worker.kill()  # mid-send: SIGKILL, no shutdown code runs
        # Its claim dies with its connection: the row can be locked again, and is still due.
        await db.execute(text("SELECT id FROM outbox_message FOR UPDATE"))
        await db.rollback()
        [row] = await outbox(db, "order_confirmation")
        assert (row.status, row.attempts) == ("pending", 0)
        slow_smtp.go.set()

        worker.start()

        async def sent() -> bool:
            [row] = await outbox(db, "order_confirmation")
            status = row.status
            await db.rollback()
            return status == "sent"

        await _until(sent, within=30, what="the restarted worker sends the confirmation")
    finally:
        stopped = worker.stop()
    assert stopped == 0, worker.output()[-2000:]  # SIGTERM: a clean stop
    [row] = await outbox(db, "order_confirmation")
    assert (row.status, row.provider, row.attempts) == ("sent", "smtp", 1)
    assert row.payload["order_id"] == order_id
    copies = [m for m in slow_smtp.messages if m.recipients == ["ana@example.com"]]
    if slow_smtp.stall_at == "rcpt":
        assert len(copies) == 1  # the server never had the first attempt's message
    else:
        # The server had taken the whole message when the worker died: the retry sends it
        # again (at least once, as api/outbox/worker.py says), and only once more.
        assert len(copies) == 2
        assert copies[0].message["Subject"] == copies[1].message["Subject"]
    assert len(slow_smtp.messages) == len(copies)
