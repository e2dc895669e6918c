"""The Stripe stand-in speaks Stripe: stripe-python's real client, real HTTP, signed webhooks.

Every test goes through `stripe.StripeClient` (or plain HTTP, as a browser would) against the
running stand-in, and receives webhooks on a real loopback endpoint. Nothing sleeps: waits are on
conditions (deliveries recorded, requests received).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import stripe

from tests import pages
from tests.stripe_standin import StripeStandin, WebhookReceiver
from tests.stripe_standin.fixtures import (
    stripe_client,
    stripe_standin,
    stripe_standin_server,
    webhook_receiver,
)

__all__ = ["stripe_client", "stripe_standin", "stripe_standin_server", "webhook_receiver"]

Client = stripe.StripeClient


@pytest.fixture
def standin(stripe_standin: StripeStandin, webhook_receiver: WebhookReceiver) -> StripeStandin:
    """The stand-in, delivering to the receiver (platform and Connect on different paths)."""
    stripe_standin.webhook_url = webhook_receiver.url("/webhooks/stripe")
    stripe_standin.connect_webhook_url = webhook_receiver.url("/webhooks/stripe-connect")
    return stripe_standin


@pytest.fixture
def organizer(stripe_standin: StripeStandin) -> str:
    """An onboarded connected account, able to receive destination charges."""
    return str(stripe_standin.create_account(charges_enabled=True, email="org@example.com")["id"])


def session_params(destination: str, **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 2500,
                    "product_data": {"name": "General admission"},
                },
                "quantity": 2,
            }
        ],
        "payment_intent_data": {
            "application_fee_amount": 200,
            "transfer_data": {"destination": destination},
            "metadata": {"order": "ord_1"},
        },
        "metadata": {"order": "ord_1"},
        "customer_email": "buyer@example.com",
        "client_reference_id": "ord_1",
        "expires_at": int(time.time()) + 31 * 60,
        "success_url": "http://app.test/passes/ord_1?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://app.test/e/luau",
    }
    params.update(overrides)
    return params


def paid_session(
    client: Client, standin: StripeStandin, destination: str
) -> stripe.checkout.Session:
    session = client.v1.checkout.sessions.create(session_params(destination))
    standin.complete_session(session.id)
    return client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})


def test_destination_charge_session_is_created_and_retrieved(
    stripe_client: Client, stripe_standin: StripeStandin, organizer: str
) -> None:
    params = session_params(organizer)
    created = stripe_client.v1.checkout.sessions.create(params, {"idempotency_key": "order-1"})
    assert created.id.startswith("cs_test_")
    assert created.object == "checkout.session"
    assert created.livemode is False
    assert (created.status, created.payment_status) == ("open", "unpaid")
    assert (created.amount_total, created.currency) == (5000, "usd")
    assert created.metadata.to_dict() == {"order": "ord_1"}
    assert created.client_reference_id == "ord_1"
    assert created.customer_email == "buyer@example.com"
    assert created.expires_at == params["expires_at"]
    assert created.payment_intent is None
    assert created.url == f"{stripe_standin.url}/pay/{created.id}"

    fetched = stripe_client.v1.checkout.sessions.retrieve(created.id)
    assert fetched.id == created.id
    assert fetched.status == "open"

    replay = stripe_client.v1.checkout.sessions.create(params, {"idempotency_key": "order-1"})
    assert replay.id == created.id
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.checkout.sessions.create(
            session_params(organizer, client_reference_id="ord_2"), {"idempotency_key": "order-1"}
        )
    sent = [record for record in stripe_standin.requests if record.method == "POST"]
    assert sent[0].params["payment_intent_data"]["application_fee_amount"] == 200
    assert sent[1].replayed


@pytest.mark.parametrize(
    ("change", "param", "message"),
    [
        ({"line_itemz": [{"quantity": 1}]}, "line_itemz", "Received unknown parameter: line_itemz"),
        (
            {"payment_intent_data": {"aplication_fee_amount": 200}},
            "payment_intent_data[aplication_fee_amount]",
            "Received unknown parameter: payment_intent_data[aplication_fee_amount]",
        ),
        (
            {"mode": "paymnt"},
            "mode",
            "Invalid mode: must be one of payment, setup, or subscription",
        ),
        (
            {"line_items": [{"price_data": {"unit_amount": 1, "product_data": {"name": "GA"}}}]},
            "line_items[0][price_data][currency]",
            "Missing required param: line_items[0][price_data][currency].",
        ),
    ],
    ids=["misspelled-top-level", "misspelled-nested", "bad-literal", "missing-nested-required"],
)
def test_session_params_are_checked_against_stripe_pythons_types(
    stripe_client: Client, organizer: str, change: dict[str, Any], param: str, message: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.checkout.sessions.create(session_params(organizer, **change))
    assert raised.value.param == param
    assert raised.value.http_status == 400
    assert raised.value.user_message == message


def test_stripe_rules_beyond_types_are_enforced(
    stripe_client: Client, stripe_standin: StripeStandin, organizer: str
) -> None:
    too_soon = session_params(organizer, expires_at=int(time.time()) + 10 * 60)
    too_late = session_params(organizer, expires_at=int(time.time()) + 25 * 3600)
    greedy = session_params(organizer)
    greedy["payment_intent_data"]["application_fee_amount"] = 5001
    unready = stripe_standin.create_account(charges_enabled=False)["id"]
    for params, param in [
        (too_soon, "expires_at"),
        (too_late, "expires_at"),
        (greedy, "payment_intent_data[application_fee_amount]"),
        (session_params(unready), "payment_intent_data[transfer_data][destination]"),
        (session_params("acct_nobody"), "payment_intent_data[transfer_data][destination]"),
    ]:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            stripe_client.v1.checkout.sessions.create(params)
        assert raised.value.param == param


def test_requests_without_a_test_key_are_refused(stripe_standin: StripeStandin) -> None:
    response = httpx.get(f"{stripe_standin.url}/v1/checkout/sessions/cs_test_x")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    http_client = stripe.RequestsClient()
    for key in ("sk_live_nope", "sk_test_someone_elses"):
        other = stripe.StripeClient(
            key, base_addresses=stripe_standin.base_addresses, http_client=http_client
        )
        with pytest.raises(stripe.AuthenticationError):
            other.v1.refunds.retrieve("re_x")
    http_client.close()


def test_unknown_ids_are_resource_missing(stripe_client: Client) -> None:
    for call in (
        lambda: stripe_client.v1.checkout.sessions.retrieve("cs_test_nope"),
        lambda: stripe_client.v1.payment_intents.retrieve("pi_nope"),
        lambda: stripe_client.v1.refunds.retrieve("re_nope"),
        lambda: stripe_client.v1.accounts.retrieve("acct_nope"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            call()
        assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")


def test_completed_session_webhook_verifies_with_the_endpoint_secret_only(
    stripe_client: Client, standin: StripeStandin, webhook_receiver: WebhookReceiver, organizer: str
) -> None:
    session = paid_session(stripe_client, standin, organizer)
    assert session.payment_status == "paid"
    intent = session.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.latest_charge
    assert intent.latest_charge.startswith("ch_")
    assert intent.application_fee_amount == 200
    assert intent.metadata.to_dict() == {"order": "ord_1"}

    (request,) = webhook_receiver.wait_for(1)
    assert request.path == "/webhooks/stripe"
    event = stripe.Webhook.construct_event(request.body, request.signature, standin.webhook_secret)
    assert event.type == "checkout.session.completed"
    assert event.id.startswith("evt_")
    assert event.object == "event"
    assert event.livemode is False
    completed = event.data.object
    assert (completed.id, completed.payment_status) == (session.id, "paid")
    assert completed.payment_intent == intent.id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(request.body, request.signature, "whsec_someone_else")
    assert standin.settle()[0].status_code == 200


def test_full_and_partial_refunds_report_the_amount_refunded(
    stripe_client: Client, standin: StripeStandin, webhook_receiver: WebhookReceiver, organizer: str
) -> None:
    session = paid_session(stripe_client, standin, organizer)
    intent_id = session.payment_intent.id
    refund = stripe_client.v1.refunds.create(
        {
            "payment_intent": intent_id,
            "amount": 2500,
            "reverse_transfer": True,
            "refund_application_fee": True,
            "metadata": {"refund": "r1"},
        },
        {"idempotency_key": "refund-r1"},
    )
    assert refund.id.startswith("re_")
    assert refund.status == "succeeded"
    assert stripe_client.v1.refunds.retrieve(refund.id).metadata.to_dict() == {"refund": "r1"}
    rest = standin.refund(session.id, metadata={"by": "dashboard"})
    assert rest["amount"] == 2500
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create({"payment_intent": intent_id, "amount": 1})

    standin.settle()
    events = [r.json() for r in webhook_receiver.received]
    refunded = [e["data"]["object"] for e in events if e["type"] == "charge.refunded"]
    assert [(c["amount_refunded"], c["refunded"]) for c in refunded] == [
        (2500, False),
        (5000, True),
    ]
    created = [e["data"]["object"] for e in events if e["type"] == "refund.created"]
    assert [r["metadata"] for r in created] == [{"refund": "r1"}, {"by": "dashboard"}]
    assert events[1]["request"]["idempotency_key"] == "refund-r1"


def test_refund_beyond_what_is_left_is_refused(
    stripe_client: Client, stripe_standin: StripeStandin, organizer: str
) -> None:
    session = paid_session(stripe_client, stripe_standin, organizer)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create(
            {"payment_intent": session.payment_intent.id, "amount": 5001}
        )
    assert raised.value.param == "amount"


def test_failed_refund_counts_as_unrefunded_again(
    stripe_client: Client, standin: StripeStandin, organizer: str
) -> None:
    session = paid_session(stripe_client, standin, organizer)
    refund = standin.refund(session.id, 1000, status="pending")
    standin.fail_refund(refund["id"])
    kinds = [delivery.event_type for delivery in standin.settle()]
    assert kinds[-2:] == ["refund.updated", "refund.failed"]
    charge = stripe_client.v1.refunds.retrieve(refund["id"]).charge
    assert standin.get(str(charge))["amount_refunded"] == 0


def test_held_events_are_released_in_the_order_asked(
    stripe_client: Client, standin: StripeStandin, webhook_receiver: WebhookReceiver, organizer: str
) -> None:
    standin.hold()
    paid = stripe_client.v1.checkout.sessions.create(session_params(organizer))
    abandoned = stripe_client.v1.checkout.sessions.create(session_params(organizer))
    standin.complete_session(paid.id)
    stripe_client.v1.checkout.sessions.expire(abandoned.id)
    assert [event["type"] for event in standin.held] == [
        "checkout.session.completed",
        "checkout.session.expired",
    ]
    standin.release(order="reversed")
    received = [r.json()["type"] for r in webhook_receiver.wait_for(2)]
    assert received == ["checkout.session.expired", "checkout.session.completed"]


def test_duplicates_are_delivered_n_times_even_concurrently(
    stripe_client: Client, standin: StripeStandin, webhook_receiver: WebhookReceiver, organizer: str
) -> None:
    standin.duplicate = 3
    first = paid_session(stripe_client, standin, organizer)
    deliveries = standin.wait_for(type="checkout.session.completed", count=3)
    assert {d.event_id for d in deliveries} == {
        standin.events_of("checkout.session.completed")[0]["id"]
    }
    assert [d.attempt for d in deliveries] == [1, 2, 3]
    assert webhook_receiver.max_in_flight == 1

    standin.concurrent_duplicates = True
    webhook_receiver.rendezvous = 6
    standin.complete_session(
        stripe_client.v1.checkout.sessions.create(session_params(organizer)).id
    )
    deliveries = standin.wait_for(type="checkout.session.completed", count=6)
    assert all(d.status_code == 200 for d in deliveries)
    assert webhook_receiver.max_in_flight == 3
    assert first.id != deliveries[-1].event_id


def test_redelivery_follows_an_app_error(
    stripe_client: Client, standin: StripeStandin, webhook_receiver: WebhookReceiver, organizer: str
) -> None:
    webhook_receiver.status_code = 500
    paid_session(stripe_client, standin, organizer)
    (failed,) = standin.settle()
    assert (failed.status_code, failed.ok) == (500, False)
    webhook_receiver.status_code = 200
    standin.redeliver(failed.event_id)
    retried = standin.wait_for(event_id=failed.event_id, count=2)[-1]
    assert (retried.attempt, retried.status_code) == (2, 200)
    bodies = webhook_receiver.received
    assert bodies[0].body == bodies[1].body


def test_hosted_page_pay_completes_and_redirects_to_success(
    stripe_client: Client, standin: StripeStandin, webhook_receiver: WebhookReceiver, organizer: str
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params(organizer))
    page = httpx.get(session.url)
    assert page.status_code == 200
    # (item, quantity, amount) of each line
    assert pages.rows(page.text, "tbody tr") == [["General admission", "2", "50.00 USD"]]
    assert pages.text(page.text, "#total") == "50.00 USD"
    assert pages.text(page.text, "button#pay") == "Pay"
    assert pages.one(page.text, "a#cancel")["href"] == "http://app.test/e/luau"

    paid = httpx.post(session.url, data={"method": "card"})
    assert paid.status_code == 303
    assert paid.headers["location"] == f"http://app.test/passes/ord_1?session={session.id}"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    (request,) = webhook_receiver.received  # delivered before the redirect
    assert request.json()["type"] == "checkout.session.completed"


def test_delayed_payment_completes_unpaid_then_succeeds(
    stripe_client: Client, standin: StripeStandin, organizer: str
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params(organizer))
    assert standin.complete_session(session.id, delayed=True)["payment_status"] == "unpaid"
    assert standin.async_payment_succeeded(session.id)["payment_status"] == "paid"
    assert [d.event_type for d in standin.settle()] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]


def test_disputes_open_and_close_with_events(
    stripe_client: Client, standin: StripeStandin, organizer: str
) -> None:
    session = paid_session(stripe_client, standin, organizer)
    dispute = standin.open_dispute(session.payment_intent.id)
    assert dispute["id"].startswith("dp_")
    assert dispute["status"] == "needs_response"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create({"payment_intent": session.payment_intent.id})
    standin.close_dispute(dispute["id"], "lost")
    closed = [d for d in standin.settle() if d.event_type == "charge.dispute.closed"]
    assert (
        stripe.Webhook.construct_event(
            closed[0].payload, closed[0].signature, standin.webhook_secret
        ).data.object.status
        == "lost"
    )


def test_connect_onboarding_sends_account_updated_to_the_connect_endpoint(
    stripe_client: Client, standin: StripeStandin, webhook_receiver: WebhookReceiver
) -> None:
    account = stripe_client.v1.accounts.create(
        {
            "controller": {
                "stripe_dashboard": {"type": "express"},
                "fees": {"payer": "application"},
            },
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "email": "org@example.com",
            "metadata": {"organizer": "o1"},
        }
    )
    assert account.id.startswith("acct_")
    assert account.charges_enabled is False
    link = stripe_client.v1.account_links.create(
        {
            "account": account.id,
            "refresh_url": "http://app.test/onboarding/refresh",
            "return_url": "http://app.test/onboarding/done",
            "type": "account_onboarding",
        }
    )
    onboarding = httpx.get(link.url).text
    assert pages.text(onboarding, "#account") == account.id
    assert pages.text(onboarding, "button#complete-onboarding") == "Agree and submit"
    finished = httpx.post(link.url)
    assert (finished.status_code, finished.headers["location"]) == (
        303,
        "http://app.test/onboarding/done",
    )
    assert httpx.get(link.url).headers["location"] == "http://app.test/onboarding/refresh"
    assert stripe_client.v1.accounts.retrieve(account.id).charges_enabled is True

    (request,) = webhook_receiver.wait_for(1)
    assert request.path == "/webhooks/stripe-connect"
    event = stripe.Webhook.construct_event(
        request.body, request.signature, standin.connect_webhook_secret
    )
    assert (event.type, event.account) == ("account.updated", account.id)
    assert event.data.previous_attributes["charges_enabled"] is False


def test_a_hand_made_event_is_signed_and_delivered_like_the_rest(
    standin: StripeStandin, webhook_receiver: WebhookReceiver
) -> None:
    sent = standin.emit_event(
        "payment_intent.succeeded", {"id": "pi_late", "object": "payment_intent"}
    )
    (request,) = webhook_receiver.wait_for(1)
    event = stripe.Webhook.construct_event(request.body, request.signature, standin.webhook_secret)
    assert (event.id, event.type, event.data.object.id) == (sent["id"], sent["type"], "pi_late")


def test_http_controls_drive_the_same_actions(
    stripe_client: Client, standin: StripeStandin, organizer: str
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params(organizer))
    with httpx.Client(base_url=f"{standin.url}/_standin") as control:
        assert control.post("/webhooks/hold").json() == {"holding": True}
        done = control.post(
            f"/checkout/sessions/{session.id}/complete", json={"email": "x@example.com"}
        )
        assert done.json()["customer_details"]["email"] == "x@example.com"
        refund = control.post(f"/payments/{session.id}/refund", json={"amount": 500}).json()
        assert control.post(f"/checkout/sessions/{session.id}/expire").status_code == 400
        released = control.post("/webhooks/release", json={"order": ["refund.created"]}).json()
        deliveries = control.post("/webhooks/settle").json()
        assert control.get(f"/objects/{refund['id']}").json()["amount"] == 500
    assert [d["event_id"] for d in deliveries] == released["released"]
    assert [d["event_type"] for d in deliveries] == [
        "refund.created",
        "checkout.session.completed",
        "charge.refunded",
    ]


class ContentHTTPXClient(stripe.HTTPXClient):
    """stripe-python 16.1 hands httpx the form body as `data=<str>`, which httpx 0.28 deprecates
    (a DeprecationWarning, so an error under our warning filter); send it as `content=`."""

    def _get_request_args_kwargs(self, method: str, url: str, headers: Any, post_data: Any) -> Any:
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        kwargs["content"] = kwargs.pop("data") or None
        return args, kwargs


async def test_async_stripe_calls_work_from_the_test_event_loop(
    stripe_standin: StripeStandin, organizer: str
) -> None:
    http_client = ContentHTTPXClient()
    client = stripe_standin.client(http_client=http_client)
    try:
        session = await client.v1.checkout.sessions.create_async(session_params(organizer))
        stripe_standin.complete_session(session.id)
        await stripe_standin.settle_async()
        fetched = await client.v1.checkout.sessions.retrieve_async(session.id)
        assert fetched.status == "complete"
    finally:
        await http_client.close_async()
