"""Cancelling an event (issue 17, "After the sale"): every paid order refunded through Stripe and
its webhook, every pass voided ("Event cancelled — do not admit" at the door), every buyer
emailed, sales stopped, and the event page saying so; a worker killed mid-way refunds nobody
twice."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import (
    Event,
    EventCancellation,
    Order,
    OutboxMessage,
    Pass,
    PassChange,
    TicketTier,
)
from api.errors import Invalid, Refused
from api.events import cancellation, cancellation_progress
from api.events.cancellation_jobs import order_job
from api.mail.outbox import preview
from api.outbox import worker
from api.passes import services as pass_services
from api.passes.wording import void_wording
from api.settings import Settings
from tests import factories
from tests.jobs import run_jobs
from tests.shop import Shop, order_state
from tests.test_scanner_api import Setup, pair, setup  # noqa: F401  (`setup`: a fixture)


async def _paid_order(shop: Shop, quantity: int, email: str) -> str:
    response = await shop.buy(quantity, email=email)
    assert response.status_code == 303, response.text
    session_id = response.headers["location"].rsplit("/", 1)[-1]
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    return str(shop.standin.get(session_id)["success_url"].split("/passes/")[1].split("?")[0])


async def _kids_tier(shop: Shop, db: AsyncSession) -> uuid.UUID:
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    kids = await factories.tier(db, event=event, name="Kids", price_minor=0, capacity=5)
    await db.commit()
    return kids.id


async def _free_order(shop: Shop, kids: uuid.UUID, email: str) -> str:
    page = await shop.browser.get(f"/e/{shop.slug}")
    token = BeautifulSoup(page.text, "html.parser").select_one("input[name=_csrf_token]")
    assert token is not None
    response = await shop.browser.post(
        f"/e/{shop.slug}/checkout",
        data={"_csrf_token": str(token["value"]), f"qty-{kids}": "1", "email": email},
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


async def _event(db: AsyncSession, shop: Shop) -> Event:
    db.expire_all()
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    return event


async def _voids(db: AsyncSession, public_id: str) -> list[tuple[str, str | None]]:
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    rows = await db.scalars(select(Pass).where(Pass.order_id == order.id).order_by(Pass.id))
    return [(p.status, p.void_reason) for p in rows]


async def test_cancelling_an_event_refunds_voids_emails_and_stops_sales(
    shop: Shop, db: AsyncSession
) -> None:
    kids = await _kids_tier(shop, db)
    first = await _paid_order(shop, 2, "ana@example.com")
    second = await _paid_order(shop, 1, "ben@example.com")
    free = await _free_order(shop, kids, "cy@example.com")
    event = await _event(db, shop)
    event_id, event_name = event.id, event.name
    counts = await cancellation.affected(db, event=event)
    assert (counts.orders, counts.passes, counts.paid_orders, counts.refund_minor) == (
        3, 4, 2, 7500,
    )  # fmt: skip

    record = await cancellation.cancel_event(
        db, event=event, message="The storm closed the harbour.", confirm=event.name,
        actor="owner@venue.example",
    )  # fmt: skip
    assert (record.orders, record.passes) == (3, 4)
    record_id = record.id
    # Sales stop at once, before any job ran.
    assert (await shop.buy(1)).status_code == 422

    shown = await cancellation_progress.progress(db, cancellation=record)
    assert (shown.pending, shown.refunded) == (3, 0)
    await run_jobs(shop.settings)
    await shop.standin.settle_async()

    assert await order_state(db, first) == ("refunded", 0, 0, ["void", "void"])
    assert await order_state(db, second) == ("refunded", 0, 0, ["void"])
    for public_id in (first, second, free):
        assert {reason for _, reason in await _voids(db, public_id)} == {"event_cancelled"}
    assert (await db.get_one(Order, (await _order_id(db, free)))).status == "cancelled"
    reasons = set(await db.scalars(select(PassChange.reason).where(
        PassChange.event_id == event_id)))  # fmt: skip
    assert "event_cancelled" in reasons  # the door pulls it
    assert void_wording("event_cancelled").door == "Event cancelled — do not admit"
    assert await db.scalar(select(TicketTier.sold).where(TicketTier.id == shop.tier_id)) == 0

    refunds = [r for r in shop.standin.requests if r.path == "/v1/refunds"]
    assert len(refunds) == 2
    assert all(r.params["reverse_transfer"] is True for r in refunds)
    mails = list(await db.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "event_cancelled")))  # fmt: skip
    assert sorted(m.payload["refund_minor"] for m in mails) == [0, 2500, 5000]

    db.expire_all()
    record = await db.get_one(EventCancellation, record_id)
    shown = await cancellation_progress.progress(db, cancellation=record)
    assert (shown.refunded, shown.pending, shown.failed, shown.no_refund) == (2, 0, 0, 1)
    assert shown.valid_passes == 0

    first_mail = await db.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "event_cancelled",
        OutboxMessage.payload["refund_minor"].astext == "5000"))  # fmt: skip
    assert first_mail is not None
    text = await preview(db, row=first_mail, settings=shop.settings)
    assert "Subject: Cancelled: " in text
    assert "The storm closed the harbour." in text
    assert "$50.00 is being refunded" in text

    with pytest.raises(Refused):
        await cancellation.cancel_event(
            db, event=await _event(db, shop), message="", confirm=event_name, actor="x"
        )


async def _order_id(db: AsyncSession, public_id: str) -> uuid.UUID:
    found = await db.scalar(select(Order.id).where(Order.public_id == public_id))
    assert found is not None
    return found


async def test_the_owner_must_type_the_events_name_to_cancel_it(db: AsyncSession) -> None:
    event = await factories.event(db)
    await db.commit()
    with pytest.raises(Invalid):
        await cancellation.cancel_event(db, event=event, message="", confirm="yes", actor="x")
    assert await db.scalar(select(EventCancellation.id)) is None


class Killed(BaseException):
    """The worker process dies: nothing after this point commits."""


async def test_a_worker_killed_after_stripe_refunded_never_refunds_twice(
    shop: Shop, db: AsyncSession
) -> None:
    public_id = await _paid_order(shop, 2, "ana@example.com")
    event = await _event(db, shop)
    record = await cancellation.cancel_event(
        db, event=event, message="", confirm=event.name, actor="owner@venue.example"
    )
    record_id = record.id
    shop.standin.hold()  # Stripe's webhooks wait: the crash comes before any news of the refund

    async def killed_after_stripe(payload: dict[str, Any], ctx: worker.JobContext) -> worker.Done:
        await order_job(payload, ctx)  # Stripe accepted the refund…
        raise Killed  # …and the worker died before its transaction committed

    table: dict[str, Callable[[dict[str, Any], worker.JobContext], Awaitable[worker.Done]]] = {
        cancellation.ORDER_JOB: killed_after_stripe
    }
    with pytest.raises(Killed):
        await run_jobs(shop.settings, handlers=table)
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])  # rolled back
    record = await db.get_one(EventCancellation, record_id)
    assert (await cancellation_progress.progress(db, cancellation=record)).pending == 1

    # The restarted worker runs the job again: the same idempotency key, the same refund.
    assert await run_jobs(shop.settings, handlers={cancellation.ORDER_JOB: order_job}) == 1
    calls = [r for r in shop.standin.requests if r.path == "/v1/refunds"]
    assert len(calls) == 2
    assert len({c.idempotency_key for c in calls}) == 1
    shop.standin.release()
    await shop.standin.settle_async()
    refunds = {e["data"]["object"]["id"] for e in shop.standin.events_of("refund.created")}
    assert len(refunds) == 1
    charge = shop.standin.events_of("charge.refunded")[-1]["data"]["object"]
    assert charge["amount_refunded"] == 5000  # once, not twice
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void", "void"])

    # A third run (a job released by hand, say) finds nothing left to refund.
    db.expire_all()
    job = await db.scalar(select(OutboxMessage).where(OutboxMessage.kind == cancellation.ORDER_JOB))
    assert job is not None
    job.status = "pending"
    await db.commit()
    assert await run_jobs(shop.settings, handlers={cancellation.ORDER_JOB: order_job}) == 1
    assert len([r for r in shop.standin.requests if r.path == "/v1/refunds"]) == 2
    db.expire_all()
    mails = await db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "event_cancelled"))
    assert len(list(mails)) == 1  # one email per order, however often its job ran


async def test_an_order_paid_after_the_click_is_caught_by_the_sweep(
    shop: Shop, db: AsyncSession
) -> None:
    response = await shop.buy(1, email="late@example.com")  # on Stripe's page at the click
    session_id = response.headers["location"].rsplit("/", 1)[-1]
    event = await _event(db, shop)
    record = await cancellation.cancel_event(
        db, event=event, message="", confirm=event.name, actor="owner@venue.example"
    )
    shop.standin.complete_session(session_id)  # the buyer pays anyway
    await shop.standin.settle_async()
    public_id = shop.standin.get(session_id)["success_url"].split("/passes/")[1].split("?")[0]
    note = await cancellation.sweep(db, cancellation_id=record.id)
    await db.commit()
    assert note == {"queued": 1, "still_pending": 0}
    await run_jobs(shop.settings)
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void"])


async def test_a_door_phone_that_starts_after_the_cancellation_shows_event_cancelled(
    client: AsyncTestClient[Litestar],
    setup: Setup,  # noqa: F811  (the fixture imported above)
    db: AsyncSession,
    settings: Settings,
) -> None:
    event = await db.get_one(Event, setup.event_id)
    record = await cancellation.cancel_event(
        db, event=event, message="", confirm=event.name, actor="owner@venue.example"
    )
    record_id = record.id
    await run_jobs(settings)
    door = await pair(client, setup.code, "Gate A")
    response = await client.get("/api/v1/scanner/bootstrap", headers=door.auth)
    raw = base64.b64decode(response.json()["passes"]["data"])
    assert {raw[i + 11] for i in range(0, len(raw), 13)} == {4}  # pass-pack.js: event_cancelled
    db.expire_all()
    record = await db.get_one(EventCancellation, record_id)
    shown = await cancellation_progress.progress(db, cancellation=record)
    assert (shown.no_refund, shown.valid_passes) == (1, 0)


async def test_a_refund_stripe_fails_afterwards_shows_as_failed_with_its_order(
    shop: Shop, db: AsyncSession
) -> None:
    public_id = await _paid_order(shop, 1, "ana@example.com")
    event = await _event(db, shop)
    record = await cancellation.cancel_event(
        db, event=event, message="", confirm=event.name, actor="owner@venue.example"
    )
    record_id = record.id
    await run_jobs(shop.settings)
    await shop.standin.settle_async()
    [created] = shop.standin.events_of("refund.created")
    shop.standin.fail_refund(created["data"]["object"]["id"])  # the bank sends the money back
    await shop.standin.settle_async()
    db.expire_all()
    record = await db.get_one(EventCancellation, record_id)
    shown = await cancellation_progress.progress(db, cancellation=record)
    assert (shown.refunded, shown.failed) == (0, 1)
    [(order, why)] = shown.failures
    assert order.public_id == public_id
    assert why == "Stripe: refund failed"


async def test_a_job_that_failed_is_shown_with_why_and_runs_again_when_asked(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event, name="General", price_minor=1500)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=1)
    await pass_services.issue_passes(
        db, order=order, tier_id=tier.id, count=1, secret_key=settings.secret_key
    )
    await db.commit()
    record = await cancellation.cancel_event(
        db, event=event, message="", confirm=event.name, actor="owner@venue.example"
    )
    record_id = record.id
    await run_jobs(settings)  # no Stripe payment on this order: nothing to refund it with
    db.expire_all()
    record = await db.get_one(EventCancellation, record_id)
    shown = await cancellation_progress.progress(db, cancellation=record)
    assert (shown.failed, shown.valid_passes) == (1, 0)  # its pass is void all the same
    assert "no Stripe payment" in shown.failures[0][1]
    assert await cancellation_progress.retry_failed(db, cancellation=record, actor="x") == 1
    record = await db.get_one(EventCancellation, record_id)
    shown = await cancellation_progress.progress(db, cancellation=record)
    assert (shown.failed, shown.pending) == (0, 1)
