"""Outgoing webhooks, end to end: real sales, refunds and door pushes emit events that the
outbox worker POSTs to a real HTTP receiver, which verifies them with the README's own snippet."""

from __future__ import annotations

import dataclasses
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AuditEntry, Event, Order, OutboxMessage, WebhookDelivery, utcnow
from api.db.engine import create_engine, session_factory
from api.errors import Invalid
from api.outbox.worker import run_due
from api.outgoing import endpoints
from api.outgoing.delivery import MAX_ATTEMPTS
from api.outgoing.emit import EVENT_TYPES, JOB
from api.outgoing.targets import check_resolved, check_url
from api.settings import Settings
from tests import factories
from tests.shop import Shop, order_state
from tests.webhook_receiver import Receiver, running_receiver

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_verifier() -> Any:
    """`verify_poctix` exactly as the README's "Outgoing webhooks" section writes it."""
    section = README.read_text().split("## Outgoing webhooks", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None, "the README's section has no Python snippet"
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # noqa: S102 (our README)
    return namespace["verify_poctix"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running_receiver()


@dataclasses.dataclass
class Hooked:
    secret: str
    endpoint_id: uuid.UUID
    organizer_id: uuid.UUID


async def _endpoint(
    db: AsyncSession, settings: Settings, *, organizer_id: uuid.UUID, url: str,
    events: tuple[str, ...] = EVENT_TYPES,
) -> Hooked:  # fmt: skip
    made = await endpoints.create(
        db, organizer_id=organizer_id, url=url, events=list(events), actor="owner@example.com",
        settings=settings,
    )  # fmt: skip
    await db.commit()
    return Hooked(made.secret, made.endpoint.id, organizer_id)


async def _order_id(db: AsyncSession, public_id: str) -> uuid.UUID:
    order_id = await db.scalar(select(Order.id).where(Order.public_id == public_id))
    assert order_id is not None
    return order_id


async def _organizer_of(db: AsyncSession, slug: str) -> uuid.UUID:
    organizer_id = await db.scalar(select(Event.organizer_id).where(Event.slug == slug))
    assert organizer_id is not None
    return organizer_id


async def _shops_endpoint(
    db: AsyncSession, shop: Shop, receiver: Receiver, *, events: tuple[str, ...] = EVENT_TYPES
) -> Hooked:
    """An endpoint of the shop's organizer at the receiver, for `events`."""
    organizer_id = await _organizer_of(db, shop.slug)
    return await _endpoint(
        db, shop.settings, organizer_id=organizer_id, url=receiver.url, events=events
    )


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[Any]:
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)

    async def run(live: Settings, *, later: timedelta = timedelta(0)) -> int:
        return await run_due(session_factory(engine), live, now=utcnow() + later)

    yield run
    await engine.dispose()


async def _paid(shop: Shop, quantity: int = 2) -> tuple[str, str]:
    session_id, public_id = await shop.checkout(quantity=quantity)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    return session_id, public_id


async def test_a_paid_order_is_posted_signed_and_the_readmes_snippet_verifies_it(
    shop: Shop, db: AsyncSession, receiver: Receiver, worker: Any
) -> None:
    hooked = await _shops_endpoint(db, shop, receiver, events=("order.paid",))
    _, public_id = await _paid(shop)
    await worker(shop.settings)
    [got] = receiver.received
    verify = readme_verifier()
    assert verify(got.body, got.headers["poctix-signature"], hooked.secret)
    event = got.event
    assert event["type"] == "order.paid"
    assert event["id"].startswith("evt_")
    assert abs(event["created"] - time.time()) < 60
    order = event["data"]["order"]
    assert order["id"] == str(await _order_id(db, public_id))  # the API's id
    assert public_id not in got.body.decode()  # never the buyer's passes link
    assert order["status"] == "paid"
    assert order["total_minor"] == 5000
    assert [p["status"] for p in order["passes"]] == ["valid", "valid"]
    # What the snippet must refuse: another secret, a changed body, an old signature.
    assert not verify(got.body, got.headers["poctix-signature"], "whsec_someone_else")
    assert not verify(got.body.replace(b"5000", b"5001"), got.headers["poctix-signature"],
                      hooked.secret)  # fmt: skip
    stale = int(time.time()) - 3600
    from api.outgoing import signing

    old = signing.header(secret=hooked.secret, body=got.body, timestamp=stale)
    assert not verify(got.body, old, hooked.secret)
    assert verify(got.body, signing.header(secret=hooked.secret, body=got.body), hooked.secret)


async def test_a_500_is_retried_with_backoff_and_the_same_id_and_body_until_it_is_taken(
    shop: Shop, db: AsyncSession, receiver: Receiver, worker: Any
) -> None:
    hooked = await _shops_endpoint(db, shop, receiver, events=("order.paid",))
    receiver.answers = [500]
    await _paid(shop, quantity=1)
    await worker(shop.settings)
    assert len(receiver.received) == 1
    db.expire_all()
    delivery = await db.scalar(select(WebhookDelivery))
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.last_error is not None
    assert "HTTP 500" in delivery.last_error
    await worker(shop.settings)  # not due yet: the outbox backs off
    assert len(receiver.received) == 1
    await worker(shop.settings, later=timedelta(minutes=5))
    first, second = receiver.received
    assert second.body == first.body
    assert second.event["id"] == first.event["id"]
    verify = readme_verifier()
    assert verify(second.body, second.headers["poctix-signature"], hooked.secret)
    await db.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)
    assert delivery.last_error is None


async def test_an_endpoint_that_never_answers_2xx_fails_after_the_last_attempt(
    shop: Shop, db: AsyncSession, receiver: Receiver, worker: Any
) -> None:
    await _shops_endpoint(db, shop, receiver, events=("order.paid",))
    receiver.answers = [410] * MAX_ATTEMPTS
    await _paid(shop, quantity=1)
    for attempt in range(MAX_ATTEMPTS):
        await worker(shop.settings, later=timedelta(hours=attempt))
    db.expire_all()
    delivery = await db.scalar(select(WebhookDelivery))
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        "failed", MAX_ATTEMPTS, 410
    )  # fmt: skip
    job = await db.scalar(select(OutboxMessage).where(OutboxMessage.kind == JOB))
    assert job is not None
    assert job.status == "failed"
    await worker(shop.settings, later=timedelta(days=2))
    assert len(receiver.received) == MAX_ATTEMPTS


async def test_resend_posts_the_same_event_again_and_is_audited(
    shop: Shop, db: AsyncSession, receiver: Receiver, worker: Any
) -> None:
    hooked = await _shops_endpoint(db, shop, receiver, events=("order.paid",))
    await _paid(shop, quantity=1)
    await worker(shop.settings)
    delivery = await db.scalar(select(WebhookDelivery))
    assert delivery is not None
    await endpoints.resend(
        db, organizer_id=hooked.organizer_id, delivery_id=delivery.id, actor="owner@example.com"
    )
    await db.commit()
    await worker(shop.settings)
    first, again = receiver.received
    assert (again.body, again.event["id"]) == (first.body, first.event["id"])
    # One delivery row per endpoint and event id, whatever was sent again.
    assert await db.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    actions = list(await db.scalars(select(AuditEntry.action).order_by(AuditEntry.created_at)))
    assert actions[-1] == "webhook_delivery.resent"


async def test_a_stripe_refund_sends_order_refunded_once_and_each_pass_voided(
    shop: Shop, db: AsyncSession, receiver: Receiver, worker: Any
) -> None:
    await _shops_endpoint(db, shop, receiver, events=("order.refunded", "pass.voided"))
    session_id, public_id = await _paid(shop)
    shop.standin.refund(session_id)
    await shop.standin.settle_async()
    assert (await order_state(db, public_id))[0] == "refunded"
    await worker(shop.settings)
    # Stripe tells of the refund twice (charge.refunded, refund.updated): one event.
    [refunded] = receiver.of_type("order.refunded")
    data = refunded.event["data"]
    order_id = str(await _order_id(db, public_id))
    assert (data["order"]["id"], data["refunded_minor"], data["full"]) == (order_id, 5000, True)
    assert data["order"]["status"] == "refunded"
    voided = receiver.of_type("pass.voided")
    assert len(voided) == 2
    assert {v.event["data"]["reason"] for v in voided} == {"refunded"}
    assert {v.event["data"]["pass"]["order"] for v in voided} == {order_id}
    assert len({v.event["id"] for v in voided}) == 2


async def test_the_last_seats_sold_send_event_sold_out_paid_or_free(
    shop: Shop, db: AsyncSession, receiver: Receiver, worker: Any
) -> None:
    organizer_id = await _organizer_of(db, shop.slug)
    await _endpoint(db, shop.settings, organizer_id=organizer_id, url=receiver.url)
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    free = await factories.tier(db, event=event, name="Guest list", price_minor=0, capacity=1)
    await db.commit()
    await _paid(shop, quantity=9)  # 9 of VIP's 10: not sold out
    await worker(shop.settings)
    assert receiver.of_type("event.sold_out") == []
    page = await shop.browser.get(f"/e/{shop.slug}")
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    placed = await shop.browser.post(
        f"/e/{shop.slug}/checkout",
        data={**hidden, f"qty-{free.id}": "1", "email": "guest@example.com"},
    )
    assert placed.status_code == 303, placed.text
    await worker(shop.settings)  # the sale's own job writes the events (api/outgoing/hooks.py)
    await worker(shop.settings)  # and they are sent
    [guest] = receiver.of_type("event.sold_out")
    assert guest.event["data"]["tier"] == {
        "id": str(free.id), "name": "Guest list", "capacity": 1, "sold": 1
    }  # fmt: skip
    assert guest.event["data"]["all_tiers_sold_out"] is False
    paid_orders = [r.event["data"]["order"] for r in receiver.of_type("order.paid")]
    assert [o["total_minor"] for o in paid_orders] == [22500, 0]
    await _paid(shop, quantity=1)  # VIP's last seat
    await worker(shop.settings)
    vip = receiver.of_type("event.sold_out")[-1].event["data"]
    assert (vip["tier"]["name"], vip["all_tiers_sold_out"]) == ("VIP", True)


async def test_an_organizer_with_no_endpoint_gets_no_delivery_and_no_job(
    shop: Shop, db: AsyncSession, receiver: Receiver, worker: Any
) -> None:
    other = await factories.organizer(db, name="Someone else")
    await db.flush()
    await _endpoint(db, shop.settings, organizer_id=other.id, url=receiver.url)
    await _paid(shop)
    await worker(shop.settings)
    assert receiver.received == []
    assert await db.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    jobs = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == JOB)
    assert await db.scalar(jobs) == 0


async def test_a_disabled_endpoint_is_sent_nothing(
    shop: Shop, db: AsyncSession, receiver: Receiver, worker: Any
) -> None:
    hooked = await _shops_endpoint(db, shop, receiver)
    await endpoints.set_enabled(
        db, organizer_id=hooked.organizer_id, endpoint_id=hooked.endpoint_id, enabled=False,
        actor="owner@example.com",
    )  # fmt: skip
    await db.commit()
    await _paid(shop)
    await worker(shop.settings)
    assert receiver.received == []


@pytest.mark.parametrize(
    ("url", "environment", "problem"),
    [
        ("http://hooks.example.com/x", "production", "must start with https://"),
        ("https://10.0.0.5/x", "production", "private or reserved"),
        ("https://192.168.1.10/x", "development", "private or reserved"),
        ("https://[fd00::1]/x", "production", "private or reserved"),
        ("https://[::ffff:10.0.0.1]/x", "production", "private or reserved"),
        ("https://[::1]/x", "production", "must not point at this machine"),
        ("https://0.0.0.0/x", "production", "private or reserved"),
        ("https://169.254.169.254/latest/meta-data", "production", "private or reserved"),
        ("https://127.0.0.1:9000/x", "production", "must not point at this machine"),
        ("http://localhost:9000/x", "production", "must start with https://"),
        ("https://intranet/x", "production", "public domain name"),
        ("https://user:pw@hooks.example.com/x", "production", "user name or password"),
        ("ftp://hooks.example.com/x", "development", "must start with https://"),
        ("https://", "production", "names no host"),
    ],
)
def test_endpoint_urls_that_reach_into_private_networks_are_refused(
    settings: Settings, url: str, environment: str, problem: str
) -> None:
    chosen = dataclasses.replace(settings, environment=environment)  # type: ignore[arg-type]
    with pytest.raises(Invalid) as refused:
        check_url(url, settings=chosen)
    assert problem in refused.value.message


async def test_a_name_that_resolves_to_a_private_address_is_refused_when_sending(
    settings: Settings,
) -> None:
    production = dataclasses.replace(settings, environment="production")
    with pytest.raises(Invalid) as refused:  # "localhost" resolves with no DNS server
        await check_resolved("https://localhost:9/x", settings=production)
    assert "resolves to a private address" in refused.value.message


def test_local_receivers_are_allowed_in_development_and_tests_only(settings: Settings) -> None:
    assert check_url("http://127.0.0.1:8123/hook", settings=settings)
    assert check_url("https://localhost/hook", settings=settings)
    assert check_url("https://hooks.example.com/poctix", settings=settings)
    production = dataclasses.replace(settings, environment="production")
    assert check_url("https://hooks.example.com/poctix", settings=production)
