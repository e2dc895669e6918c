"""A failure in the background worker reaches someone: `poctix worker` reports to Sentry an email
that failed for good, and one still failing after REPORT_AFTER attempts, with the job's kind and
id and nothing of its payload (issue 14 item 19)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts.services import seal
from api.db import OutboxMessage, utcnow
from api.outbox.worker import REPORT_AFTER
from api.settings import Settings
from tests.fault_support import AppProcess, app_env, wait_until
from tests.mail_standin import SmtpSink
from tests.mail_standin.kit import free_event, free_order
from tests.sentry_standin import SentryStandin


def _events(sentry: SentryStandin) -> list[dict[str, Any]]:
    """The events (not sessions or client reports) the stand-in received, parsed."""
    found = []
    for envelope in list(sentry.envelopes):
        lines = envelope.splitlines()
        for header, body in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(body))
    return found


async def test_a_worker_reports_an_email_that_failed_for_good_and_one_that_keeps_failing(
    db: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    # A sign-in link sealed under another SECRET_KEY can never be sent: it fails for good.
    token = secrets.token_urlsafe(32)
    sealed = seal(token, secret_key="a-key-this-installation-no-longer-has-" + "x" * 20)
    lost = OutboxMessage(kind="login_link", available_at=utcnow(),
                         payload={"email": "nalu@example.com", "sealed_token": sealed})  # fmt: skip
    db.add(lost)
    # A ticket email the mail server has turned away REPORT_AFTER - 1 times already.
    slug, tier = await free_event(db)
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, email="kai@example.com")
    public_id = order.public_id
    stuck = await db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.kind == "order_confirmation",
            OutboxMessage.payload["order_id"].astext == str(order.id),
        )
    )
    assert stuck is not None
    stuck.attempts = REPORT_AFTER - 1
    lost_id, stuck_id = str(lost.id), str(stuck.id)
    await db.commit()

    assert settings.database_url
    with SentryStandin() as sentry, SmtpSink() as smtp:
        smtp.start().reject = True  # up, but answers every message "451 try again later"
        env = app_env(
            settings.database_url, tmp_path, SECRET_KEY=settings.secret_key,
            BASE_URL=settings.base_url, SENTRY_DSN=sentry.dsn, SMTP_HOST=smtp.host,
            SMTP_PORT=str(smtp.port), SMTP_TLS="none",
        )  # fmt: skip
        worker = AppProcess(["worker"], env, tmp_path / "worker.log").start()
        try:

            def both_reported() -> list[dict[str, Any]] | None:
                events = _events(sentry)
                text = json.dumps(events)
                return events if lost_id in text and stuck_id in text else None

            events = wait_until(both_reported, within=60, what="both jobs reported to Sentry")
        finally:
            worker.stop()
    by_job = {e["tags"]["job_id"]: e for e in events if "job_id" in e.get("tags", {})}

    failed = by_job[lost_id]
    assert "failed for good" in json.dumps(failed)
    assert failed["level"] == "error"
    assert failed["tags"]["job_kind"] == "login_link"

    retrying = by_job[stuck_id]
    assert f"still failing after {REPORT_AFTER} attempts" in json.dumps(retrying)
    assert retrying["tags"]["job_kind"] == "order_confirmation"

    everything = "\n".join(sentry.envelopes)
    for secret in (token, sealed, public_id):
        assert secret not in everything
