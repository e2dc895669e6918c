"""Getting the confirmation to the buyer: the HTTP API first, SMTP when it fails, retries when
both fail, and never twice, whatever the workers and the processes do."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Order, OutboxMessage, utcnow
from api.db.engine import async_url, create_engine, session_factory
from api.outbox.worker import Wakeup, run_due
from api.passes import services as passes
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests.jobs import run_jobs
from tests.mail_standin import MailApiStandin, SmtpSink
from tests.mail_standin.api import unreachable_url
from tests.mail_standin.kit import (
    free_event,
    free_order,
    mail_api_fixture,  # noqa: F401  (the `mail_api` fixture)
    outbox,
    qr_text,
    running_worker,
    smtp_sink_fixture,  # noqa: F401  (the `smtp_sink` fixture)
    verified,
    with_mail,
)
from tests.shop import Shop


async def _paid(shop: Shop, db: AsyncSession, quantity: int = 2) -> tuple[Order, float]:
    """A buyer pays through Stripe Checkout; returns the order and the moment of payment."""
    session_id, public_id = await shop.checkout(quantity=quantity)
    paid_at = time.monotonic()
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    assert order.status == "paid"
    return order, paid_at


async def test_a_paid_order_is_emailed_through_the_api_with_a_working_qr_per_pass(
    shop: Shop, db: AsyncSession, mail_api: MailApiStandin
) -> None:
    settings = with_mail(shop.settings, api=mail_api)
    async with running_worker(settings):
        order, _ = await _paid(shop, db, quantity=2)
        [body] = await mail_api.wait_for_messages_async(1)
    assert body["To"] == "buyer@example.com"
    assert body["MessageStream"] == "outbound"
    qrs = [a for a in body["Attachments"] if a["Name"].startswith("pass-")]
    assert len(qrs) == 2
    for attachment in body["Attachments"]:
        assert attachment["ContentID"].startswith("cid:")
        assert f'src="{attachment["ContentID"]}"' in body["HtmlBody"]
    event = await db.get_one(Event, order.event_id)
    read = [qr_text(base64.b64decode(a["Content"])) for a in qrs]
    issued = await passes.order_passes(db, order_id=order.id)
    assert {await verified(db, event.id, t) for t in read} == {
        pass_key_text(p.pass_key) for p in issued
    }
    assert f"{shop.url}/passes/{order.public_id}" in body["TextBody"]
    assert all(token in body["TextBody"] for token in read)
    [row] = await outbox(db, "order_confirmation")
    assert (row.status, row.provider, row.attempts, row.last_error) == ("sent", "api", 1, None)
    assert mail_api.requests[0].headers["x-postmark-server-token"] == mail_api.token


@pytest.mark.parametrize("failure", ["error", "hang", "unreachable"])
async def test_when_the_api_fails_smtp_delivers_within_ten_seconds_of_payment(
    shop: Shop, db: AsyncSession, mail_api: MailApiStandin, smtp_sink: SmtpSink, failure: str
) -> None:
    refused = None
    if failure == "unreachable":
        url, refused = unreachable_url()
        settings = with_mail(shop.settings, api=url, smtp=smtp_sink)
    else:
        mail_api.mode = "hang" if failure == "hang" else "error"
        settings = with_mail(shop.settings, api=mail_api, smtp=smtp_sink)
    try:
        async with running_worker(settings):
            order, paid_at = await _paid(shop, db)
            budget = 10 - (time.monotonic() - paid_at)
            [received] = await smtp_sink.wait_for_async(1, within=budget)
    finally:
        if refused is not None:
            refused.close()
    assert received.at - paid_at < 10
    assert received.recipients == ["buyer@example.com"]
    assert order.public_id in received.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [row] = await outbox(db, "order_confirmation")
    assert (row.status, row.provider, row.attempts) == ("sent", "smtp", 1)
    assert row.payload["fallback_after"].startswith("api: ")
    if failure != "unreachable":
        assert len(mail_api.requests) == 1
    assert mail_api.messages == []


@pytest.mark.parametrize("comes_back", ["api", "smtp"])
async def test_with_both_providers_down_the_message_waits_then_goes_out_once(
    db: AsyncSession, settings: Settings, mail_api: MailApiStandin, smtp_sink: SmtpSink,
    comes_back: str,
) -> None:  # fmt: skip
    slug, tier = await free_event(db)
    await free_order(db, settings, slug=slug, tier_id=tier.id)
    mail_api.mode = "error"
    smtp_sink.stop()
    settings = with_mail(settings, api=mail_api, smtp=smtp_sink)
    assert await run_jobs(settings) == 0

    [row] = await outbox(db, "order_confirmation")
    assert (row.status, row.attempts, row.provider) == ("pending", 1, None)
    assert row.last_error is not None
    assert "api: HTTP 500" in row.last_error
    assert "smtp: " in row.last_error
    assert row.available_at > utcnow()
    assert await run_jobs(settings) == 0  # not due yet: nothing is tried
    assert (await outbox(db))[0].attempts == 1

    if comes_back == "api":
        mail_api.mode = "ok"
    else:
        smtp_sink.start()
    later = utcnow() + timedelta(minutes=1)
    results = await asyncio.gather(run_jobs(settings, now=later), run_jobs(settings, now=later))
    assert sorted(results) == [0, 1]
    assert await run_jobs(settings, now=later + timedelta(hours=1)) == 0
    [row] = await outbox(db, "order_confirmation")
    assert (row.status, row.attempts, row.provider, row.last_error) == (
        "sent", 2, comes_back, None,
    )  # fmt: skip
    assert len(mail_api.messages) + len(smtp_sink.messages) == 1


async def test_two_workers_racing_over_the_same_rows_never_send_a_message_twice(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    slug, tier = await free_event(db)
    for n in range(24):
        await free_order(db, settings, slug=slug, tier_id=tier.id, email=f"buyer{n}@example.com")
    settings = with_mail(settings, smtp=smtp_sink)
    async with running_worker(settings), running_worker(settings):
        await smtp_sink.wait_for_async(24, within=30)
    # Stopped workers finish the jobs in flight: every row is recorded by now.
    assert {row.status for row in await outbox(db)} == {"sent"}
    recipients = sorted(r for m in smtp_sink.messages for r in m.recipients)
    assert recipients == sorted(f"buyer{n}@example.com" for n in range(24))
    assert {row.attempts for row in await outbox(db)} == {1}


async def test_a_sleeping_worker_is_woken_by_the_commit_not_by_polling(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    slug, tier = await free_event(db)
    settings = with_mail(settings, smtp=smtp_sink)
    await free_order(db, settings, slug=slug, tier_id=tier.id, email="first@example.com")
    async with running_worker(settings, every=600):
        await smtp_sink.wait_for_async(1)  # the first round ran: the worker now LISTENs
        committed = time.monotonic()
        await free_order(db, settings, slug=slug, tier_id=tier.id, email="second@example.com")
        second = (await smtp_sink.wait_for_async(2, within=5))[1]
    assert second.recipients == ["second@example.com"]
    assert second.at - committed < 5


def _worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE", "SENTRY", "MAIL_", "SMTP_", "DATABASE_URL"))
    }
    assert settings.database_url
    env.update(
        DATABASE_URL=settings.database_url,
        SECRET_KEY=settings.secret_key,
        DATA_DIR=str(settings.data_dir),
        BASE_URL=settings.base_url,
        **extra,
    )
    return env


async def test_a_worker_killed_mid_send_loses_nothing(
    db: AsyncSession, settings: Settings, mail_api: MailApiStandin
) -> None:
    slug, tier = await free_event(db)
    await free_order(db, settings, slug=slug, tier_id=tier.id)
    mail_api.mode = "hang"
    env = _worker_env(settings, MAIL_API_URL=mail_api.url, MAIL_API_TOKEN=mail_api.token)
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli", "worker",
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await asyncio.to_thread(mail_api.wait_for_requests, 1, 60)
    finally:
        worker.kill()  # SIGKILL while the API has the message and has not answered
        await asyncio.wait_for(worker.wait(), 30)
    # The dead worker's transaction is rolled back: wait for its row lock to go, then look.
    await db.execute(text("SELECT id FROM outbox_message FOR UPDATE"))
    await db.rollback()
    [row] = await outbox(db, "order_confirmation")
    assert (row.status, row.attempts) == ("pending", 0)

    mail_api.release()
    mail_api.mode = "ok"
    assert await run_jobs(with_mail(settings, api=mail_api)) == 1
    [row] = await outbox(db, "order_confirmation")
    assert (row.status, row.provider) == ("sent", "api")
    assert len(mail_api.messages) == 1


async def test_tokens_and_passwords_never_reach_logs_or_the_outbox(
    db: AsyncSession, settings: Settings, mail_api: MailApiStandin, smtp_sink: SmtpSink,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    slug, tier = await free_event(db)
    await free_order(db, settings, slug=slug, tier_id=tier.id)
    smtp_sink.stop()
    settings = dataclasses.replace(
        with_mail(settings, api=mail_api, smtp=smtp_sink),
        mail_api_token="pm-token-do-not-log",
        smtp_username="relay-user",
        smtp_password="smtp-password-do-not-log",
    )
    with caplog.at_level(logging.DEBUG):
        assert await run_jobs(settings) == 0
    [row] = await outbox(db, "order_confirmation")
    assert "HTTP 401" in (row.last_error or "")
    for secret in ("pm-token-do-not-log", "smtp-password-do-not-log"):
        assert secret not in caplog.text
        assert secret not in (row.last_error or "")
        assert secret not in str(row.payload)
    assert "email API failed" in caplog.text


def test_the_sink_refuses_connections_while_down(smtp_sink: SmtpSink) -> None:
    smtp_sink.stop()
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection((smtp_sink.host, smtp_sink.port), timeout=2),
    ):
        pass


async def test_an_outbox_row_wakes_a_listening_worker_when_it_commits(
    db: AsyncSession, settings: Settings
) -> None:
    assert settings.database_url
    wakeup = Wakeup(make_url(async_url(settings.database_url)))
    await wakeup.listen()
    try:
        assert wakeup.listening
        db.add(OutboxMessage(kind="order_confirmation", payload={}, available_at=utcnow()))
        await db.commit()
        assert await wakeup.wait(10)
    finally:
        await wakeup.close()


async def test_a_woken_worker_waits_for_the_sales_to_pause_but_not_for_ever() -> None:
    """While notifications keep coming (a tier selling out), the worker holds off rendering;
    it goes on once they pause for `quiet`, or at its round's deadline under a stream that never
    pauses."""
    wakeup = Wakeup(None)
    loop = asyncio.get_running_loop()

    async def notify(times: int) -> None:
        for _ in range(times):
            wakeup._poked(None)
            await asyncio.sleep(0.01)

    burst = asyncio.create_task(notify(20))
    await asyncio.sleep(0)
    await wakeup.settle(until=loop.time() + 60, quiet=0.1)
    assert burst.done(), "it started while the sales were still coming"
    assert loop.time() - wakeup._last >= 0.1

    endless = asyncio.create_task(notify(10**6))
    try:
        await asyncio.wait_for(wakeup.settle(until=loop.time() + 0.3, quiet=0.1), timeout=30)
        assert not endless.done()
    finally:
        endless.cancel()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _niceness(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[16])


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def _until(check: Any, within: float) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def test_poctix_run_mails_from_lower_priority_workers_that_end_with_it(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    """The outbox worker of `poctix run` is two child processes at niceness 10 (rendering QR
    images never takes CPU from the pages; with two, both cores send after an on-sale burst),
    delivers the confirmation, and does not outlive `poctix run` even when that is killed
    outright."""
    slug, tier = await free_event(db)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _worker_env(
        settings, SMTP_HOST=smtp_sink.host, SMTP_PORT=str(smtp_sink.port), SMTP_TLS="none",
        MAIL_FROM="Reef Bar tickets <tickets@poctix.test>",
    )  # fmt: skip
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli", "run", "--port", str(port),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert await _until(lambda: len(_children(run.pid)) == 2, 60), "no workers were started"
        workers = _children(run.pid)
        niced = _niceness(run.pid) + 10
        assert await _until(lambda: all(_niceness(w) == niced for w in workers), 30)
        order = await free_order(db, settings, slug=slug, tier_id=tier.id, email="ana@example.com")
        [received] = await asyncio.to_thread(smtp_sink.wait_for, 1, 30)
        assert received.recipients == ["ana@example.com"]
        body = received.message.get_body(("plain",))
        assert body is not None
        assert order.public_id in body.get_content()
        run.kill()
        await asyncio.wait_for(run.wait(), 10)
        assert await _until(lambda: not any(map(_alive, workers)), 15), "a worker outlived it"
    finally:
        if run.returncode is None:
            run.kill()
            await asyncio.wait_for(run.wait(), 10)


async def test_a_backlog_of_kept_emails_is_worked_through_in_short_batches(
    db: AsyncSession, settings: Settings
) -> None:
    """No provider configured: every confirmation is kept, none counts as sent. One call still
    runs at most BATCH jobs (its claim query lists the jobs it already ran, and that list must
    stay short), and the worker loop goes on batch after batch, without waiting to be woken,
    until the whole backlog is kept."""
    from api.outbox.worker import BATCH

    slug, tier = await free_event(db)
    backlog = BATCH * 2 + 10
    for n in range(backlog):
        await free_order(
            db, settings, slug=slug, tier_id=tier.id, email=f"b{n}@example.com", quantity=1
        )
    assert await run_jobs(settings) == 0
    statuses = [row.status for row in await outbox(db, "order_confirmation")]
    assert (statuses.count("kept"), statuses.count("pending")) == (BATCH, backlog - BATCH)
    async with running_worker(settings, every=600):
        deadline = time.monotonic() + 60
        while any(row.status == "pending" for row in await outbox(db)):
            assert time.monotonic() < deadline, "the backlog was not worked through"
            await asyncio.sleep(0.2)
    assert {row.status for row in await outbox(db)} == {"kept"}


async def test_a_burst_of_confirmations_goes_over_a_few_kept_smtp_connections(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    """On-sale day: a connection (EHLO, STARTTLS, AUTH) per message cost more than the message.
    The worker keeps one per job it sends at once."""
    from api.outbox.worker import CONCURRENCY

    slug, tier = await free_event(db)
    for n in range(16):
        await free_order(db, settings, slug=slug, tier_id=tier.id, email=f"fan{n}@example.com")
    async with running_worker(with_mail(settings, smtp=smtp_sink)):
        received = await smtp_sink.wait_for_async(16, within=30)
    assert sorted(r for m in received for r in m.recipients) == sorted(
        f"fan{n}@example.com" for n in range(16)
    )
    assert len({m.peer for m in received}) <= CONCURRENCY
    assert {(row.status, row.attempts) for row in await outbox(db)} == {("sent", 1)}


async def test_a_kept_smtp_connection_the_server_dropped_costs_the_next_buyer_nothing(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    """The relay restarts between two orders: the second confirmation still goes out at its
    first attempt, over a new connection, and the first is not sent again."""
    from api.mail import Mailer

    slug, tier = await free_event(db)
    settings = with_mail(settings, smtp=smtp_sink)
    mailer = Mailer(settings)
    try:
        await free_order(db, settings, slug=slug, tier_id=tier.id, email="first@example.com")
        assert await run_jobs(settings, mailer=mailer) == 1
        smtp_sink.stop()
        smtp_sink.start()
        await free_order(db, settings, slug=slug, tier_id=tier.id, email="second@example.com")
        assert await run_jobs(settings, mailer=mailer) == 1
    finally:
        await mailer.aclose()
    first, second = smtp_sink.messages
    assert (first.recipients, second.recipients) == (["first@example.com"], ["second@example.com"])
    assert first.peer != second.peer
    assert {(row.status, row.attempts) for row in await outbox(db)} == {("sent", 1)}


async def test_a_batch_of_confirmations_takes_one_database_connection_from_the_pool(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    """Each job is its own transaction, but a connection taken from the pool per job cost a
    pre-ping (three statements) each time under an on-sale burst."""
    from sqlalchemy import event

    slug, tier = await free_event(db)
    for n in range(6):
        await free_order(db, settings, slug=slug, tier_id=tier.id, email=f"fan{n}@example.com")
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)
    checkouts = []
    event.listen(engine.sync_engine, "checkout", lambda *_: checkouts.append(1))
    try:
        assert await run_due(session_factory(engine), with_mail(settings, smtp=smtp_sink)) == 6
    finally:
        await engine.dispose()
    assert len(checkouts) == 1
    assert len(smtp_sink.messages) == 6
    assert {(row.status, row.attempts) for row in await outbox(db)} == {("sent", 1)}
