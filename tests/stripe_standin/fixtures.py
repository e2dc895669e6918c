"""Pytest fixtures for the Stripe stand-in. Bring them into a conftest with

    from tests.stripe_standin.fixtures import (  # noqa: F401
        stripe_client,
        stripe_standin,
        stripe_standin_server,
        webhook_receiver,
    )

`stripe_standin` is a blank, running stand-in per test: one server for the whole session
(`stripe_standin_server`), `reset()` before and after each test, so no objects, events or webhook
URLs carry over (set `stripe_standin.webhook_url` / `connect_webhook_url` once the app's port is
known; the secrets and API key stay the same all session).
`stripe_client` is stripe-python's `StripeClient` aimed at it, closed afterwards.
`webhook_receiver` is a recording HTTP endpoint, for tests that need no app behind the webhooks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from tests.stripe_standin.receiver import WebhookReceiver
from tests.stripe_standin.standin import StripeStandin


@pytest.fixture(scope="session")
def stripe_standin_server() -> Iterator[StripeStandin]:
    with StripeStandin() as standin:
        yield standin


@pytest.fixture
def stripe_standin(stripe_standin_server: StripeStandin) -> Iterator[StripeStandin]:
    stripe_standin_server.reset()
    yield stripe_standin_server
    stripe_standin_server.reset()


@pytest.fixture
def stripe_client(stripe_standin: StripeStandin) -> Iterator[stripe.StripeClient]:
    http_client = stripe.RequestsClient()
    yield stripe_standin.client(http_client=http_client)
    http_client.close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver
