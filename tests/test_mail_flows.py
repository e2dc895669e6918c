"""The other emails: refund notices, tickets sent again, and the outbox kept for a site with no
email provider."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts.services import request_login, unseal
from api.db import Order, Pass
from api.mail import NothingToSend, queue_resend
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import pages
from tests.jobs import run_jobs
from tests.mail_standin import SmtpSink
from tests.mail_standin.kit import (
    free_event,
    free_order,
    outbox,
    qr_text,
    smtp_sink_fixture,  # noqa: F401  (the `smtp_sink` fixture)
    with_mail,
)
from tests.shop import Shop


async def _paid(shop: Shop, db: AsyncSession, quantity: int = 2) -> tuple[str, Order]:
    session_id, public_id = await shop.checkout(quantity=quantity)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    return session_id, order


def _plain(received: Any) -> str:
    return str(received.message.get_body(("plain",)).get_content())


async def test_a_refund_from_the_stripe_dashboard_emails_what_was_refunded_and_what_is_void(
    shop: Shop, db: AsyncSession, smtp_sink: SmtpSink
) -> None:
    settings = with_mail(shop.settings, smtp=smtp_sink)
    session_id, order = await _paid(shop, db)
    assert await run_jobs(settings) == 1
    shop.standin.refund(session_id)
    await shop.standin.settle_async()
    await run_jobs(settings)

    _, refund = smtp_sink.wait_for(2)
    assert str(refund.message["Subject"]).startswith("Refund for ")
    plain = _plain(refund)
    assert "$50.00 of your payment of $50.00 has been refunded" in plain
    codes = [pass_key_text(k) for k in await db.scalars(
        select(Pass.pass_key).where(Pass.order_id == order.id))]  # fmt: skip
    assert all(code in plain for code in codes)
    assert "These passes are now void" in plain
    html = refund.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    said = [p for p in pages.parse(html).select("p") if "of your payment" in pages.shown(p)]
    assert [pages.text(p, "strong") for p in said] == ["$50.00"]  # the amount stands out
    sent = [r for r in await outbox(db, "refund_notice") if r.provider == "smtp"]
    assert len(sent) == 1
    described = sent[0].payload["described"]
    assert (described["refunded_minor"], set(described["void"])) == (5000, set(codes))
    assert len(smtp_sink.messages) == 2


async def test_a_partial_refund_reported_by_several_webhooks_sends_one_notice(
    shop: Shop, db: AsyncSession, smtp_sink: SmtpSink
) -> None:
    settings = with_mail(shop.settings, smtp=smtp_sink)
    session_id, order = await _paid(shop, db)
    first = await db.scalars(select(Pass).where(Pass.order_id == order.id).order_by(Pass.id))
    named = pass_key_text(first.first().pass_key)  # type: ignore[union-attr]
    shop.standin.refund(session_id, 2500, metadata={"passes": named})
    await shop.standin.settle_async()
    notices = await outbox(db, "refund_notice")
    await run_jobs(settings)

    assert len(notices) >= 2  # charge.refunded and refund.created/updated each wrote one
    refunds = [m for m in smtp_sink.wait_for(2) if "Refund for" in str(m.message["Subject"])]
    assert len(refunds) == 1
    plain = _plain(refunds[0])
    assert "$25.00 of your payment of $50.00 has been refunded" in plain
    assert named in plain
    assert "Your other 1 pass remains valid" in plain
    assert {r.status for r in await outbox(db, "refund_notice")} == {"sent"}
    assert len(smtp_sink.messages) == 2


async def test_tickets_can_be_sent_again_with_the_same_passes(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    settings = with_mail(settings, smtp=smtp_sink)
    slug, tier = await free_event(db)
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=2)
    assert await run_jobs(settings) == 1
    row = await queue_resend(db, order_id=order.id)
    await db.commit()
    assert row.kind == "resend_tickets"
    assert await run_jobs(settings) == 1

    first, again = smtp_sink.wait_for(2)
    assert "Here are your tickets again" in _plain(again)
    assert str(first.message["Subject"]) == str(again.message["Subject"])

    def codes(received: Any) -> set[str]:
        return {
            qr_text(part.get_content())
            for part in received.message.walk()
            if part.get_content_type() == "image/png"
        }

    assert len(codes(first)) == 2
    assert codes(first) == codes(again)


async def test_an_order_with_no_valid_pass_is_not_sent_again(
    db: AsyncSession, settings: Settings
) -> None:
    slug, tier = await free_event(db)
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=1)
    for item in await db.scalars(select(Pass).where(Pass.order_id == order.id)):
        item.status = "void"
    await db.commit()
    with pytest.raises(NothingToSend):
        await queue_resend(db, order_id=order.id)


async def _poctix(settings: Settings, *args: str) -> str:
    assert settings.database_url
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "SMTP_", "STRIPE"))}
    env.update(
        DATABASE_URL=settings.database_url,
        SECRET_KEY=settings.secret_key,
        DATA_DIR=str(settings.data_dir),
        BASE_URL=settings.base_url,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli", "outbox", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_with_no_provider_messages_are_kept_and_poctix_outbox_shows_them(
    db: AsyncSession, settings: Settings
) -> None:
    slug, tier = await free_event(db, name="Reef Night")
    await free_order(db, settings, slug=slug, tier_id=tier.id, email="kai@example.com")
    assert await request_login(db, email="kai@example.com", secret_key=settings.secret_key)
    assert await run_jobs(settings) == 0  # kept, not sent
    tickets, login = await outbox(db)
    assert (tickets.status, tickets.attempts, tickets.provider) == ("kept", 1, None)
    assert tickets.payload["to"] == "kai@example.com"
    assert login.status == "kept"

    listing = await _poctix(settings)
    assert f"{tickets.id}  " in listing
    assert "kept     order_confirmation" in listing
    assert "to kai@example.com: Your tickets for Reef Night" in listing
    shown = await _poctix(settings, "--show", str(login.id))
    token = unseal(login.payload["sealed_token"], secret_key=settings.secret_key)
    assert f"http://testserver.local/login/confirm?token={token}" in shown
    assert "To: kai@example.com" in shown

    released = await _poctix(settings, "--release")
    assert "Queued 2 kept message(s) again." in released
    assert {row.status for row in await outbox(db)} == {"pending"}
    no_mail = dataclasses.replace(settings, mail_api_url="", smtp_host="")
    assert await run_jobs(no_mail) == 0
    assert {row.status for row in await outbox(db)} == {"kept"}


async def test_a_sign_in_link_is_emailed_and_its_token_leaves_the_outbox(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    assert await request_login(db, email="Kai@Example.com", secret_key=settings.secret_key)
    [row] = await outbox(db, "login_link")
    token = unseal(row.payload["sealed_token"], secret_key=settings.secret_key)
    assert await run_jobs(with_mail(settings, smtp=smtp_sink)) == 1

    [received] = smtp_sink.wait_for(1)
    assert received.recipients == ["kai@example.com"]
    assert str(received.message["Subject"]) == "Your sign-in link"
    assert f"http://testserver.local/login/confirm?token={token}" in _plain(received)
    [row] = await outbox(db, "login_link")
    assert (row.status, row.provider) == ("sent", "smtp")
    assert row.payload["sealed_token"] is None
    assert token not in str(row.payload)


async def test_the_operator_can_have_tickets_emailed_again(shop: Shop, db: AsyncSession) -> None:
    import base64

    from api.db import OutboxMessage

    session_id, public_id = await shop.checkout(quantity=1)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    basic = base64.b64encode(b"operator:correct horse battery staple").decode()
    response = await shop.browser.post(
        f"/api/v1/admin/orders/{public_id}/resend", headers={"authorization": f"Basic {basic}"}
    )
    assert response.status_code == 202
    assert response.json() == {"detail": "The tickets go to buyer@example.com again.",
                               "status": "queued"}  # fmt: skip
    kinds = list(await db.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.created_at)))
    assert kinds[-1] == "resend_tickets"
