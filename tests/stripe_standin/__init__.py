"""A loopback Stripe for the test suites: real wire protocol, parameters checked, signed webhooks.

No machine here reaches Stripe. `StripeStandin` serves the `/v1` endpoints POCtix calls on a
loopback port, checks every request against stripe-python's own `stripe.params` TypedDicts and
Stripe's business rules, keeps state in memory, serves a hosted checkout page and an onboarding
page, and POSTs correctly signed webhook events to the app. Tests drive the parts Stripe's API
does not offer (buyer, dashboard, bank) with its control methods or `/_standin/…` over HTTP.

Layout: `wire` (form decoding, ids, errors) · `params` (TypedDict checking) · `objects` (object
shapes) · `store` (state, expand, idempotency) · `checkout`, `refunds`, `accounts` (rules and
life cycles) · `webhooks` (signing and delivery) · `api`, `pages`, `control_http`, `app` (HTTP)
· `server` (uvicorn thread) · `standin` (the facade) · `fixtures`, `receiver` (for pytest).

Lives under tests/ only; the app never imports it.
"""

from tests.stripe_standin.receiver import Received, WebhookReceiver
from tests.stripe_standin.standin import StripeStandin
from tests.stripe_standin.webhooks import Delivery, sign

__all__ = ["Delivery", "Received", "StripeStandin", "WebhookReceiver", "sign"]
