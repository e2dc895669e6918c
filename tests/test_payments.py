"""Paid tickets through the Stripe stand-in: checkout, webhooks and every refund path."""

from __future__ import annotations

import base64
import json
import time

import stripe
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import fulfilment
from api.db import Order, Organizer, PassChange, StripeEvent
from tests.forms import csrf_token
from tests.jobs import run_jobs
from tests.shop import Shop, order_state, valid_passes

BASIC = {"authorization": "Basic " + base64.b64encode(
    b"operator:correct horse battery staple").decode()}  # fmt: skip


async def test_paid_checkout_is_a_destination_charge_with_the_platform_fee(shop: Shop) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    session = shop.standin.get(session_id, "payment_intent")
    assert session["mode"] == "payment"
    assert session["amount_total"] == 5000
    assert session["customer_email"] == "buyer@example.com"
    assert session["metadata"]["order_id"] == session["client_reference_id"]
    assert session["success_url"].startswith(f"{shop.url}/passes/{public_id}")
    assert 30 * 60 <= session["expires_at"] - time.time() <= 32 * 60
    create = next(r for r in shop.standin.requests if r.path == "/v1/checkout/sessions")
    assert create.params["payment_intent_data"]["application_fee_amount"] == 400
    assert create.params["payment_intent_data"]["transfer_data"]["destination"] == shop.account
    assert create.params["payment_intent_data"]["metadata"]["order_id"]


async def test_completion_webhook_issues_passes_and_turns_the_hold_into_a_sale(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    assert await order_state(db, public_id) == ("pending", 0, 2, [])
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])
    page = await shop.browser.get(f"/passes/{public_id}")
    assert page.text.count('class="qr"') == 2


async def test_passes_page_confirms_with_stripe_before_the_webhook_arrives(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=1)
    shop.standin.hold()
    shop.standin.complete_session(session_id)
    page = await shop.browser.get(f"/passes/{public_id}?session_id={session_id}")
    assert 'data-status="paid"' in page.text
    assert page.text.count('class="qr"') == 1
    shop.standin.release()
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("paid", 1, 0, ["valid"])


async def test_until_paid_the_passes_page_says_processing_and_refreshes(shop: Shop) -> None:
    _, public_id = await shop.checkout(quantity=1)
    page = await shop.browser.get(f"/passes/{public_id}")
    assert "Payment processing" in page.text
    assert '<meta http-equiv="refresh"' in page.text


async def test_fifty_concurrent_deliveries_of_one_event_have_one_effect(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.duplicate = 50
    shop.standin.concurrent_duplicates = True
    shop.standin.complete_session(session_id)
    deliveries = await shop.standin.settle_async(within=30)
    assert len([d for d in deliveries if d.status_code == 200]) == 50
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])
    assert await db.scalar(select(func.count()).select_from(StripeEvent)) == 1


async def test_an_expired_session_releases_the_hold(shop: Shop, db: AsyncSession) -> None:
    session_id, public_id = await shop.checkout(quantity=3)
    shop.standin.expire_session(session_id)
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("expired", 0, 0, [])


async def test_a_refund_from_the_stripe_dashboard_voids_passes_and_frees_seats(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    shop.standin.refund(session_id)
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void", "void"])
    changes = list(await db.scalars(select(PassChange.reason).order_by(PassChange.seq)))
    assert changes == ["issued", "issued", "refunded", "refunded"]
    page = await shop.browser.get(f"/passes/{public_id}")
    assert "This order was refunded" in page.text
    assert 'class="qr"' not in page.text


async def test_a_partial_refund_naming_a_pass_voids_only_that_pass(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    page = await shop.browser.get(f"/passes/{public_id}")
    pass_ids = await _pass_ids(db, public_id)
    shop.standin.refund(session_id, 2500, metadata={"passes": pass_ids[0]})
    await shop.standin.settle_async()
    status, sold, held, passes = await order_state(db, public_id)
    assert (status, sold, held, sorted(passes)) == ("partially_refunded", 1, 0, ["valid", "void"])
    assert page.status_code == 200


async def test_a_refund_that_overtakes_the_completion_ends_refunded(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.hold()
    shop.standin.complete_session(session_id)
    shop.standin.refund(session_id)
    shop.standin.release(order="reversed")
    deliveries = await shop.standin.settle_async()
    assert [d.event_type for d in deliveries][-1] == "checkout.session.completed"
    assert all(d.ok for d in deliveries)
    assert await order_state(db, public_id) == ("refunded", 0, 0, [])
    assert await valid_passes(db) == 0


async def _hold_lapses(db: AsyncSession, public_id: str) -> None:
    """Our side gives the seats up (the hold's time ran out) while the buyer is still paying."""
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    assert await fulfilment.expire(db, order_id=order.id)
    await db.commit()


async def test_a_late_payment_after_the_hold_lapsed_still_gets_tickets_when_seats_are_free(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    await _hold_lapses(db, public_id)
    assert await order_state(db, public_id) == ("expired", 0, 0, [])
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])


async def test_a_late_payment_with_no_seats_left_is_refunded_automatically(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    await _hold_lapses(db, public_id)
    await db.execute(
        text("UPDATE ticket_tier SET sold = capacity WHERE id = :id"), {"id": shop.tier_id}
    )
    await db.commit()
    shop.standin.complete_session(session_id)  # the payment completes after all
    await shop.standin.settle_async()
    assert (await order_state(db, public_id))[0] == "cancelled"
    assert await run_jobs(shop.settings) == 1
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 10, 0, [])
    refund = shop.standin.events_of("charge.refunded")[0]["data"]["object"]
    assert refund["amount_refunded"] == 5000


async def test_a_dispute_voids_the_passes_and_winning_it_reinstates_them(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    dispute = shop.standin.open_dispute(session_id)
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("disputed", 0, 0, ["void", "void"])
    shop.standin.close_dispute(dispute["id"], "won")
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])


async def test_a_lost_dispute_leaves_the_passes_void(shop: Shop, db: AsyncSession) -> None:
    session_id, public_id = await shop.checkout(quantity=1)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    dispute = shop.standin.open_dispute(session_id)
    shop.standin.close_dispute(dispute["id"], "lost")
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void"])


async def test_account_updates_on_the_connect_endpoint_gate_paid_sales(
    shop: Shop, db: AsyncSession
) -> None:
    shop.standin.set_charges_enabled(shop.account, False)
    await shop.standin.settle_async()
    db.expire_all()
    organizer = await db.scalar(
        select(Organizer).where(Organizer.stripe_account_id == shop.account)
    )
    assert organizer is not None
    assert organizer.charges_enabled is False
    response = await shop.buy(quantity=1)
    assert response.status_code == 422
    assert "The organizer cannot take card payments yet." in response.text


async def test_refund_from_the_operator_api_goes_through_stripe_and_the_webhook(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    response = await shop.browser.post(
        f"/api/v1/admin/orders/{public_id}/refund", json={}, headers=BASIC
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "requested"
    refund_call = next(r for r in shop.standin.requests if r.path == "/v1/refunds")
    assert refund_call.params["reverse_transfer"] is True
    assert (refund_call.idempotency_key or "").startswith("refund-")
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void", "void"])


async def test_refund_api_needs_the_operator(shop: Shop) -> None:
    _, public_id = await shop.checkout(quantity=1)
    response = await shop.browser.post(f"/api/v1/admin/orders/{public_id}/refund", json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")


def _signed_event(
    shop: Shop, kind: str, obj: dict[str, object], *, secret: str | None = None,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:  # fmt: skip
    payload = json.dumps({
        "id": f"evt_test_{time.time_ns()}", "object": "event", "type": kind,
        "data": {"object": obj}, "api_version": "2025-01-01", "created": int(time.time()),
        "livemode": False,
    }).encode()  # fmt: skip
    stamp = timestamp or int(time.time())
    signature = stripe.WebhookSignature._compute_signature(
        f"{stamp}.{payload.decode()}", secret or shop.standin.webhook_secret
    )
    return payload, {"stripe-signature": f"t={stamp},v1={signature}",
                     "content-type": "application/json"}  # fmt: skip


async def test_forged_stale_or_cross_endpoint_webhooks_are_400_and_change_nothing(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=1)
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    obj = {"object": "checkout.session", "id": session_id, "payment_status": "paid",
           "metadata": {"order_id": str(order.id)}}  # fmt: skip
    bad = [
        _signed_event(shop, "checkout.session.completed", obj, secret="whsec_forged"),
        _signed_event(shop, "checkout.session.completed", obj, timestamp=int(time.time()) - 3600),
        _signed_event(
            shop, "checkout.session.completed", obj, secret=shop.standin.connect_webhook_secret
        ),
    ]
    for payload, headers in bad:
        response = await shop.browser.post("/webhooks/stripe", content=payload, headers=headers)
        assert response.status_code == 400
        assert "Invalid Stripe-Signature" in response.json()["detail"]
    unsigned = await shop.browser.post("/webhooks/stripe", content=bad[0][0])
    assert unsigned.status_code == 400
    assert await order_state(db, public_id) == ("pending", 0, 1, [])
    assert await db.scalar(select(func.count()).select_from(StripeEvent)) == 0


async def test_unknown_event_types_are_acknowledged_and_ignored(shop: Shop) -> None:
    payload, headers = _signed_event(shop, "invoice.created", {"object": "invoice"})
    response = await shop.browser.post("/webhooks/stripe", content=payload, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}


async def _pass_ids(db: AsyncSession, public_id: str) -> list[str]:
    from api.db import Pass
    from api.passes.tokens import pass_key_text

    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    keys = await db.scalars(
        select(Pass.pass_key).where(Pass.order_id == order.id).order_by(Pass.id)
    )
    return [pass_key_text(k) for k in keys]


async def test_an_organizer_onboards_to_stripe_and_can_then_sell_paid_tickets(
    shop: Shop, db: AsyncSession
) -> None:
    organizer = await db.scalar(
        select(Organizer).where(Organizer.stripe_account_id == shop.account)
    )
    assert organizer is not None
    organizer_id = organizer.id
    organizer.stripe_account_id = None
    organizer.charges_enabled = False
    await db.commit()
    response = await shop.browser.post(
        f"/api/v1/admin/organizers/{organizer_id}/stripe/onboarding", headers=BASIC
    )
    assert response.status_code == 201, response.text
    link = response.json()["url"]
    create = next(r for r in shop.standin.requests if r.path == "/v1/accounts")
    assert create.params["capabilities"] == {
        "card_payments": {"requested": True},
        "transfers": {"requested": True},
    }
    assert create.params["controller"]["stripe_dashboard"]["type"] == "express"
    # The organizer completes Stripe's form; Stripe sends them back to POCtix.
    finished = await shop.browser.post(link)
    assert finished.status_code == 303
    returned = await shop.browser.get(finished.headers["location"], headers=BASIC)
    assert returned.status_code == 303
    assert returned.headers["location"].endswith("/members?stripe=ready")
    await shop.standin.settle_async()
    db.expire_all()
    refreshed = await db.get(Organizer, organizer_id)
    assert refreshed is not None
    assert refreshed.charges_enabled is True
    assert (await shop.buy(quantity=1)).status_code == 303


async def test_an_owner_refunds_from_the_dashboard_and_the_webhook_frees_the_seats(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    await shop.staff_signs_in(db, "owner@venue.example")
    detail = await shop.browser.get(f"/admin/orders/{public_id}")
    refunded = await shop.browser.post(
        f"/admin/orders/{public_id}/refund",
        data={"_csrf_token": csrf_token(detail.text), "reason": "customer asked"},
    )
    assert "Stripe accepted the refund" in refunded.text
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void", "void"])


async def test_a_refund_naming_what_the_order_lacks_is_a_conflict_and_malformed_ids_a_400(
    shop: Shop,
) -> None:
    # Found by schemathesis: well-formed requests the order cannot honour answered 400.
    session_id, public_id = await shop.checkout(quantity=1)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    url = f"/api/v1/admin/orders/{public_id}/refund"
    for body in ({"passes": ["A" * 18]}, {"amount": 10**6}):
        response = await shop.browser.post(url, json=body, headers=BASIC)
        assert response.status_code == 409, response.text
    for body in ({"passes": [""]}, {"amuont": 100}):
        response = await shop.browser.post(url, json=body, headers=BASIC)
        assert response.status_code == 400, response.text
