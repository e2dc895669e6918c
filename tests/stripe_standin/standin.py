"""`StripeStandin`: the loopback Stripe a test starts, points stripe-python at, and drives.

    with StripeStandin(webhook_url=..., webhook_secret=...) as standin:
        client = stripe.StripeClient(standin.api_key, base_addresses=standin.base_addresses)
        session = client.v1.checkout.sessions.create({...})
        standin.complete_session(session.id)      # the buyer pays
        standin.settle()                          # every webhook delivered

The control methods play the parts Stripe's API does not offer: the buyer on the hosted page,
the organizer in the Stripe dashboard, the bank, the card network. Each changes state as Stripe
would and emits the events Stripe would send, delivered to the configured endpoints (see
`webhooks.py` for hold/release, duplicates and redelivery). They are thread-safe and quick; they
return a copy of the object they acted on, as the API would show it. The same controls are served
over HTTP under `/_standin/…` (see `control_http.py`).
"""

from __future__ import annotations

import contextlib
import secrets
from types import TracebackType
from typing import Any

import stripe

from tests.stripe_standin import accounts, checkout, country_specs, objects, refunds
from tests.stripe_standin.app import build_app
from tests.stripe_standin.server import ServerThread
from tests.stripe_standin.store import RequestRecord, Store
from tests.stripe_standin.webhooks import Delivery, Endpoint, Order, WebhookSender

Obj = dict[str, Any]


def _endpoint(name: str, attr: str) -> Any:
    def read(self: StripeStandin) -> Any:
        return getattr(self.webhooks.endpoints[name], attr)

    def write(self: StripeStandin, value: Any) -> None:
        setattr(self.webhooks.endpoints[name], attr, value)

    return property(read, write, doc=f"The {name} webhook endpoint's {attr}; settable any time.")


def _sender(attr: str) -> Any:
    def read(self: StripeStandin) -> Any:
        return getattr(self.webhooks, attr)

    def write(self: StripeStandin, value: Any) -> None:
        setattr(self.webhooks, attr, value)

    return property(read, write, doc=f"WebhookSender.{attr}, for events sent from now on.")


class StripeStandin:
    webhook_url = _endpoint("platform", "url")
    webhook_secret = _endpoint("platform", "secret")
    connect_webhook_url = _endpoint("connect", "url")
    connect_webhook_secret = _endpoint("connect", "secret")
    duplicate = _sender("duplicate")
    concurrent_duplicates = _sender("concurrent_duplicates")

    def __init__(
        self,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        connect_webhook_url: str | None = None,
        connect_webhook_secret: str | None = None,
        *,
        api_key: str = "sk_test_standin",
        duplicate: int = 1,
        concurrent_duplicates: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        if not api_key.startswith(("sk_test_", "rk_test_")):
            raise ValueError("the stand-in is test mode: use an sk_test_… or rk_test_… key")
        self.api_key = api_key
        """The only key the API accepts (others get Stripe's 401)."""
        self.store = Store()
        self.webhooks = WebhookSender(
            platform=Endpoint(webhook_url, webhook_secret or _new_secret()),
            connect=Endpoint(connect_webhook_url, connect_webhook_secret or _new_secret()),
        )
        self.webhooks.duplicate = duplicate
        self.webhooks.concurrent_duplicates = concurrent_duplicates
        self.store.on_event = self.webhooks.send
        self.refund_status = "succeeded"
        """Status of refunds the app creates through the API: `succeeded` or `pending`."""
        self.redirect_after_webhook = True
        """Hosted Pay waits for its webhook's delivery before redirecting; False lets the buyer
        reach `success_url` first (the race real Stripe allows)."""
        self._server = ServerThread(build_app(self), host=host, name="stripe-standin")
        self.store.base_url = self._server.url

    # -- lifecycle and wiring ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:54321` (no trailing slash)."""
        return self._server.url

    @property
    def base_addresses(self) -> dict[str, str]:
        """For `stripe.StripeClient(key, base_addresses=...)`."""
        return {"api": self.url, "connect": self.url, "files": self.url}

    def client(self, **options: Any) -> stripe.StripeClient:
        """A stripe-python client aimed here (close its `http_client` when done)."""
        options.setdefault("http_client", stripe.RequestsClient())
        return stripe.StripeClient(self.api_key, base_addresses=self.base_addresses, **options)

    def start(self) -> StripeStandin:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        """A blank Stripe account again, server still running (for a session-scoped stand-in).

        Waits for deliveries already under way, drops held events, forgets all objects, events,
        deliveries and requests, unsets both webhook URLs (secrets and API key stay) and restores
        the delivery and refund defaults.
        """
        with contextlib.suppress(TimeoutError):
            self.webhooks.settle(10)
        self.webhooks.reset()
        self.store.clear()
        self.webhook_url = self.connect_webhook_url = None
        self.refund_status = "succeeded"
        self.redirect_after_webhook = True

    def __enter__(self) -> StripeStandin:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the buyer ---------------------------------------------------------------------------------

    def complete_session(
        self, session_id: str, *, delayed: bool = False, email: str | None = None
    ) -> Obj:
        """The buyer pays. `delayed=True`: a bank debit, so `payment_status` stays `unpaid`."""
        return self._shown(
            checkout.complete_session(self.store, session_id, delayed=delayed, email=email)
        )

    def async_payment_succeeded(self, session_id: str) -> Obj:
        return self._shown(checkout.settle_delayed_payment(self.store, session_id, succeeded=True))

    def async_payment_failed(self, session_id: str) -> Obj:
        return self._shown(checkout.settle_delayed_payment(self.store, session_id, succeeded=False))

    def expire_session(self, session_id: str) -> Obj:
        """Stripe expires the session (its `expires_at` passed, or the buyer abandoned it)."""
        return self._shown(checkout.expire_session(self.store, session_id))

    # -- the Stripe dashboard, the bank, the card network ----------------------------------------

    def refund(
        self,
        payment_id: str,
        amount: int | None = None,
        *,
        metadata: dict[str, str] | None = None,
        reverse_transfer: bool = False,
        status: str = "succeeded",
        reason: str | None = None,
    ) -> Obj:
        """A refund made in the Stripe dashboard; `payment_id` may be a cs_, pi_ or ch_ id."""
        charge = refunds.charge_for(self.store, payment_id)
        params: dict[str, Any] = {"charge": charge["id"], "reverse_transfer": reverse_transfer}
        params.update(
            {
                key: value
                for key, value in (("amount", amount), ("metadata", metadata), ("reason", reason))
                if value is not None
            }
        )
        return self._shown(refunds.create_refund(self.store, params, status=status))

    def fail_refund(self, refund_id: str) -> Obj:
        return self._shown(refunds.finish_refund(self.store, refund_id, succeeded=False))

    def succeed_refund(self, refund_id: str) -> Obj:
        """A `pending` refund goes through."""
        return self._shown(refunds.finish_refund(self.store, refund_id, succeeded=True))

    def open_dispute(
        self, payment_id: str, amount: int | None = None, *, reason: str = "fraudulent"
    ) -> Obj:
        return self._shown(
            refunds.open_dispute(self.store, payment_id, amount=amount, reason=reason)
        )

    def close_dispute(self, dispute_id: str, outcome: str) -> Obj:
        """`outcome` is `won` or `lost`."""
        if outcome not in ("won", "lost"):
            raise ValueError("outcome must be 'won' or 'lost'")
        return self._shown(refunds.close_dispute(self.store, dispute_id, won=outcome == "won"))

    def create_account(
        self,
        *,
        charges_enabled: bool = False,
        email: str | None = None,
        metadata: dict[str, str] | None = None,
        country: str = "US",
    ) -> Obj:
        """A connected account that already exists (no event), e.g. an onboarded organizer in
        `country` (its default currency is the country's, `country_specs`)."""
        params = {
            "country": country,
            "default_currency": country_specs.default_currency(country),
            "controller": {"stripe_dashboard": {"type": "express"}},
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "email": email,
            "metadata": metadata or {},
        }
        with self.store.lock:
            account = accounts.create_account(self.store, params)
            if charges_enabled:
                accounts.set_charges_enabled(self.store, account["id"], True, announce=False)
        return self._shown(account)

    def set_charges_enabled(self, account_id: str, enabled: bool = True) -> Obj:
        return self._shown(accounts.set_charges_enabled(self.store, account_id, enabled))

    def add_webhook_endpoint(
        self, url: str, events: list[str], *, connect: bool = False, status: str = "enabled"
    ) -> Obj:
        """A webhook endpoint made in the Stripe dashboard, listed by `GET /v1/webhook_endpoints`
        (what `poctix check --online` reads; deliveries still go to `webhook_url`)."""
        endpoint = objects.webhook_endpoint(
            url, events, connect=connect, status=status, now=self.store.now()
        )
        return self._shown(self.store.add(endpoint))

    # -- webhooks -------------------------------------------------------------------------------

    def emit_event(
        self,
        kind: str,
        data_object: Obj,
        *,
        previous: Obj | None = None,
        account_id: str | None = None,
    ) -> Obj:
        """Send an event Stripe could send but the stand-in's model cannot produce (a payment on
        an expired session, an event type nothing here emits). Signed and delivered like the rest;
        `account_id` routes it to the Connect endpoint."""
        return self.store.emit(kind, data_object, previous=previous, account_id=account_id)

    def hold(self) -> None:
        self.webhooks.hold()

    def release(
        self, order: Order = None, *, duplicate: int | None = None, concurrent: bool | None = None
    ) -> list[Obj]:
        return self.webhooks.release(order, duplicate=duplicate, concurrent=concurrent)

    @property
    def held(self) -> list[Obj]:
        return self.webhooks.held

    def redeliver(self, event_id: str, *, times: int = 1, concurrent: bool = False) -> None:
        self.webhooks.redeliver(
            self.store.get(event_id, "event"), times=times, concurrent=concurrent
        )

    @property
    def deliveries(self) -> list[Delivery]:
        return self.webhooks.deliveries

    def settle(self, timeout: float = 10) -> list[Delivery]:
        return self.webhooks.settle(timeout)

    async def settle_async(self, within: float = 10) -> list[Delivery]:
        return await self.webhooks.settle_async(within)

    def wait_for(self, **filters: Any) -> list[Delivery]:
        """Filters: `type`, `event_id`, `count` (default 1), `timeout` (default 10 s)."""
        return self.webhooks.wait_for(**filters)

    async def wait_for_async(self, **filters: Any) -> list[Delivery]:
        return await self.webhooks.wait_for_async(**filters)

    # -- looking inside -------------------------------------------------------------------------

    @property
    def events(self) -> list[Obj]:
        with self.store.lock:
            return list(self.store.events)

    def events_of(self, kind: str) -> list[Obj]:
        return [event for event in self.events if event["type"] == kind]

    def get(self, object_id: str, *expand: str) -> Obj:
        """Any stored object by id, rendered as the API would return it."""
        with self.store.lock:
            obj = self.store.objects.get(object_id)
            if obj is None:
                raise KeyError(object_id)
            return self.store.render(obj, expand)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every API call received, oldest first."""
        with self.store.lock:
            return list(self.store.requests)

    def _shown(self, obj: Obj) -> Obj:
        return self.store.render(obj)


def _new_secret() -> str:
    return "whsec_" + secrets.token_hex(16)
