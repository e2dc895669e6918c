"""Correctly signed webhooks whose claims disagree with our records are recorded, alerted and
never applied (issue 14 item 7): a signature proves Stripe sent an event, not that its metadata
names the right order."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import pytest
import sentry_sdk
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, Organizer, StripeEvent
from tests.shop import Shop, order_state
from tests.stripe_standin.webhooks import sign

Alerts = list[tuple[str, Any]]


@pytest.fixture
def alerts(monkeypatch: pytest.MonkeyPatch) -> Alerts:
    """What would reach Sentry: (message, level) of every `capture_message`."""
    seen: Alerts = []
    monkeypatch.setattr(
        sentry_sdk,
        "capture_message",
        lambda message, level=None, **_: seen.append((message, level)),
    )
    return seen


async def _deliver(
    shop: Shop, kind: str, obj: dict[str, Any], *, account: str | None = None
) -> tuple[str, dict[str, Any]]:
    """A correctly signed event, as Stripe would send it; returns (event id, the app's answer)."""
    event: dict[str, Any] = {
        "id": f"evt_{secrets.token_hex(12)}", "object": "event", "type": kind,
        "data": {"object": obj}, "api_version": "2025-01-01", "created": int(time.time()),
        "livemode": False,
    }  # fmt: skip
    if account is not None:
        event["account"] = account
    payload = json.dumps(event)
    secret = shop.standin.connect_webhook_secret if account else shop.standin.webhook_secret
    path = "/webhooks/stripe-connect" if account else "/webhooks/stripe"
    response = await shop.browser.post(
        path,
        content=payload,
        headers={"stripe-signature": sign(payload, secret), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return event["id"], response.json()


async def _recorded(db: AsyncSession, event_id: str) -> bool:
    return await db.get(StripeEvent, event_id) is not None


async def _other_paid_intent(shop: Shop) -> str:
    """The payment intent of another buyer's real, completed order."""
    response = await shop.buy(quantity=1, email="someone.else@example.com")
    session_id = response.headers["location"].rsplit("/", 1)[-1]
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    return str(shop.standin.get(session_id)["payment_intent"])


@pytest.mark.parametrize(
    "forged", ["session id", "amount", "currency", "foreign payment intent", "unknown intent"]
)
async def test_a_signed_completion_with_one_forged_field_leaves_the_order_unpaid(
    shop: Shop, db: AsyncSession, alerts: Alerts, forged: str
) -> None:
    foreign = await _other_paid_intent(shop) if forged == "foreign payment intent" else None
    session_id, public_id = await shop.checkout(quantity=1)
    shop.standin.hold()  # the genuine completion waits; the forgery arrives first
    claim = shop.standin.complete_session(session_id)
    if forged == "session id":
        claim["id"] = "cs_test_" + secrets.token_hex(12)
    elif forged == "amount":
        claim["amount_total"] = 100
    elif forged == "currency":
        claim["currency"] = "jpy"
    elif forged == "foreign payment intent":
        claim["payment_intent"] = foreign
    else:
        claim["payment_intent"] = "pi_" + secrets.token_hex(12)

    event_id, answer = await _deliver(shop, "checkout.session.completed", claim)

    assert answer == {"status": "mismatch"}
    others = 1 if foreign else 0  # seats sold to the other buyer
    assert await order_state(db, public_id) == ("pending", others, 1, [])
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    assert order.stripe_payment_intent_id is None
    assert await _recorded(db, event_id)  # Stripe is told to stop retrying
    assert [level for _, level in alerts] == ["error"]
    assert str(order.id) in alerts[0][0]
    # The genuine completion still fulfils the order, with the genuine payment intent.
    shop.standin.release()
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("paid", others + 1, 0, ["valid"])
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    assert order.stripe_payment_intent_id == shop.standin.get(session_id)["payment_intent"]


async def test_account_updated_about_another_account_is_not_applied(
    shop: Shop, db: AsyncSession, alerts: Alerts
) -> None:
    account = shop.standin.get(shop.account)
    account["charges_enabled"] = False
    other = shop.standin.create_account()["id"]

    event_id, answer = await _deliver(shop, "account.updated", account, account=other)

    assert answer == {"status": "mismatch"}
    organizer = await db.scalar(
        select(Organizer).where(Organizer.stripe_account_id == shop.account)
    )
    assert organizer is not None
    assert organizer.charges_enabled is True
    assert await _recorded(db, event_id)
    assert [level for _, level in alerts] == ["error"]
    assert (await shop.buy(quantity=1)).status_code == 303  # still selling


async def test_a_refund_naming_another_order_in_its_metadata_voids_nothing(
    shop: Shop, db: AsyncSession, alerts: Alerts
) -> None:
    mine = await _other_paid_intent(shop)
    session_id, victim = await shop.checkout(quantity=1)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    order = await db.scalar(select(Order).where(Order.public_id == victim))
    assert order is not None
    refund = {
        "id": "re_" + secrets.token_hex(12), "object": "refund", "amount": 2500,
        "currency": "usd", "payment_intent": mine, "status": "succeeded",
        "metadata": {"order_id": str(order.id)},
    }  # fmt: skip

    _, answer = await _deliver(shop, "refund.created", refund)

    assert answer == {"status": "mismatch"}
    assert (await order_state(db, victim))[0] == "paid"
    assert (await order_state(db, victim))[3] == ["valid"]
    assert [level for _, level in alerts] == ["error"]


@pytest.mark.parametrize("kind", ["charge.refunded", "charge.dispute.created", "refund.created"])
async def test_an_event_about_a_payment_intent_stripe_never_had_is_recorded_not_retried(
    shop: Shop, db: AsyncSession, kind: str
) -> None:
    obj = {
        "id": "ch_" + secrets.token_hex(12), "object": kind.split(".")[-2],
        "amount": 2500, "amount_refunded": 2500, "currency": "usd", "refunded": True,
        "payment_intent": "pi_" + secrets.token_hex(12), "status": "succeeded", "metadata": {},
    }  # fmt: skip

    event_id, answer = await _deliver(shop, kind, obj)

    assert answer == {"status": "unknown_order"}
    assert await _recorded(db, event_id)
