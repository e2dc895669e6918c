"""Fixtures and helpers of the mail tests: stand-ins, a running worker, orders, QR decoding."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import services as checkout
from api.db import Order, OutboxMessage
from api.db.engine import create_engine, session_factory
from api.events.services import published_event
from api.outbox.worker import work_forever
from api.passes import keys, tokens
from api.settings import Settings
from tests import factories
from tests.mail_standin.api import MailApiStandin
from tests.mail_standin.smtp import SmtpSink


@pytest.fixture(name="smtp_sink")
def smtp_sink_fixture() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink.start()


@pytest.fixture(name="mail_api")
def mail_api_fixture() -> Iterator[MailApiStandin]:
    with MailApiStandin() as standin:
        yield standin


def with_mail(
    settings: Settings, *, api: MailApiStandin | str | None = None, smtp: SmtpSink | None = None
) -> Settings:
    """`settings` sending through the API stand-in (or a URL) and/or the SMTP sink."""
    values: dict[str, Any] = {"mail_from": "Reef Bar tickets <tickets@poctix.test>"}
    if api is not None:
        values["mail_api_url"] = api if isinstance(api, str) else api.url
        values["mail_api_token"] = api.token if isinstance(api, MailApiStandin) else "token"
    if smtp is not None:
        values.update(smtp_host=smtp.host, smtp_port=smtp.port, smtp_tls="none")
    return dataclasses.replace(settings, **values)


@contextlib.asynccontextmanager
async def running_worker(settings: Settings, *, every: float = 2.0) -> AsyncIterator[None]:
    """`work_forever` as `poctix worker` runs it, on its own engine, until the block ends."""
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=5)
    task = asyncio.create_task(work_forever(session_factory(engine), settings, every=every))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await engine.dispose()


async def free_event(db: AsyncSession, **event: Any) -> tuple[str, Any]:
    """A published event with a free tier; returns (slug, tier)."""
    organizer = await factories.organizer(db, name=event.pop("organizer_name", "Reef Bar"))
    item = await factories.event(db, org=organizer, **event)
    tier = await factories.tier(db, event=item, name="General", price_minor=0, capacity=500)
    await db.commit()
    return item.slug, tier


async def free_order(
    db: AsyncSession,
    settings: Settings,
    *,
    slug: str,
    tier_id: Any,
    quantity: int = 2,
    email: str = "buyer@example.com",
    name: str = "",
    source_site: str | None = None,
) -> Order:
    """A free order through the checkout service: paid and its outbox row written at once."""
    event = await published_event(db, slug=slug)
    assert event is not None
    form = checkout.CheckoutForm(
        quantities={tier_id: quantity}, email=email, name=name, source_site=source_site
    )
    started = await checkout.start_checkout(
        db, event=event, form=form, settings=settings, gateway=None
    )
    return started.order


async def outbox(db: AsyncSession, kind: str | None = None) -> list[OutboxMessage]:
    db.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.created_at)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(await db.scalars(query))


def qr_text(png: bytes) -> str:
    """What a phone camera would read from the QR image."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"{len(found)} codes in the image"
    return str(found[0].text)


async def verified(db: AsyncSession, event_id: Any, token: str) -> str:
    """The pass key text of a token that verifies with the event's public keys."""
    check = tokens.verify(token, keys=await keys.event_public_keys(db, event_id=event_id))
    assert check.ok, check.reason
    assert check.pass_key is not None
    return tokens.pass_key_text(check.pass_key)
