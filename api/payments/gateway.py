"""The one place POCtix talks to Stripe: stripe-python's async client, with our parameters.

Every sale is a destination charge: the buyer pays through Checkout, the money goes to the
organizer's connected account, and the platform keeps `application_fee_amount` on the way
through. `STRIPE_API_BASE` points the client elsewhere (the test stand-in); nothing else
about the calls changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe

from api.settings import Settings


class PaymentsUnavailable(Exception):
    """Stripe is not configured, or it did not answer: the buyer is told plainly."""


@dataclass(frozen=True)
class LineItem:
    name: str
    unit_amount: int
    quantity: int


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    status: str
    payment_status: str
    payment_intent: str | None


@dataclass(frozen=True)
class IntentFacts:
    """A payment intent as Stripe has it: what a webhook's claims are checked against."""

    id: str
    order_id: str | None
    """The `order_id` we put in its metadata at checkout."""
    amount: int
    currency: str
    """Upper case, as orders store it."""
    destination: str | None
    """The connected account the charge transfers to."""


@dataclass(frozen=True)
class AccountFacts:
    """A connected account as Stripe has it."""

    charges_enabled: bool
    currencies: list[str]
    """Upper case, the account's default first; empty when Stripe did not say."""


def stripe_client(
    settings: Settings, http: stripe.HTTPXClient, *, retries: int
) -> stripe.StripeClient:
    """A Stripe client for the platform's key; STRIPE_API_BASE replaces every Stripe host (the
    tests' stand-in answers there)."""
    base = settings.stripe_api_base or None
    addresses: Any = (
        {"api": base, "connect": base, "files": base, "meter_events": base} if base else {}
    )
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses=addresses,
        http_client=http,
        max_network_retries=retries,
    )


class StripeGateway:
    def __init__(self, settings: Settings) -> None:
        if not settings.stripe_secret_key:
            raise PaymentsUnavailable("Stripe is not configured (STRIPE_SECRET_KEY).")
        self._http = stripe.HTTPXClient(timeout=15)
        self._client = stripe_client(settings, self._http, retries=2)

    async def aclose(self) -> None:
        """Close the pooled connections (the app does this at shutdown)."""
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def create_checkout_session(
        self,
        *,
        order_id: str,
        lines: list[LineItem],
        currency: str,
        application_fee: int,
        destination: str,
        email: str,
        expires_at: datetime,
        success_url: str,
        cancel_url: str,
    ) -> CheckoutSession:
        metadata = {"order_id": order_id}
        params: Any = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": line.unit_amount,
                        "product_data": {"name": line.name},
                    },
                    "quantity": line.quantity,
                }
                for line in lines
            ],
            "payment_intent_data": {
                "application_fee_amount": application_fee,
                "transfer_data": {"destination": destination},
                "metadata": metadata,
            },
            "metadata": metadata,
            "customer_email": email,
            "client_reference_id": order_id,
            "expires_at": int(expires_at.timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params, {"idempotency_key": f"checkout-{order_id}"}
            )
        except stripe.StripeError as exc:
            raise PaymentsUnavailable(str(exc.user_message or exc)) from exc
        return _session(session)

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        try:
            session = await self._client.v1.checkout.sessions.retrieve_async(session_id)
        except stripe.StripeError as exc:
            raise PaymentsUnavailable(str(exc.user_message or exc)) from exc
        return _session(session)

    async def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        """End an open Checkout Session now, so it can no longer be paid (the buyer came back
        through `cancel_url`). Stripe refuses a session that is not open: PaymentsUnavailable."""
        try:
            session = await self._client.v1.checkout.sessions.expire_async(session_id)
        except stripe.StripeError as exc:
            raise PaymentsUnavailable(str(exc.user_message or exc)) from exc
        return _session(session)

    async def refund(
        self,
        *,
        payment_intent: str,
        amount: int | None,
        metadata: dict[str, str],
        idempotency_key: str,
        refund_application_fee: bool = False,
    ) -> str:
        """Refund through Stripe, reversing the transfer to the organizer. The passes are voided
        by the `charge.refunded` webhook, whatever path started the refund. With
        `refund_application_fee` the platform fee goes back to the organizer's account too."""
        params: Any = {
            "payment_intent": payment_intent,
            "reverse_transfer": True,
            "metadata": metadata,
        }
        if refund_application_fee:
            params["refund_application_fee"] = True
        if amount is not None:
            params["amount"] = amount
        try:
            refund = await self._client.v1.refunds.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise PaymentsUnavailable(str(exc.user_message or exc)) from exc
        return str(refund.id)

    async def create_account(self, *, email: str, organizer_id: str) -> str:
        params: Any = {
            "email": email,
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "stripe_dashboard": {"type": "express"},
            },
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {"organizer_id": organizer_id},
        }
        try:
            account = await self._client.v1.accounts.create_async(
                params, {"idempotency_key": f"account-{organizer_id}"}
            )
        except stripe.StripeError as exc:
            raise PaymentsUnavailable(str(exc.user_message or exc)) from exc
        return str(account.id)

    async def onboarding_link(self, *, account: str, refresh_url: str, return_url: str) -> str:
        params: Any = {
            "account": account,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
        try:
            link = await self._client.v1.account_links.create_async(params)
        except stripe.StripeError as exc:
            raise PaymentsUnavailable(str(exc.user_message or exc)) from exc
        return str(link.url)

    async def payment_intent_facts(self, payment_intent: str) -> IntentFacts | None:
        """What Stripe itself says of a payment intent, or None when Stripe has no such intent
        on the platform (a webhook naming it can then never be applied: retrying is useless).
        Any other failure is PaymentsUnavailable, and the webhook is retried."""
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(payment_intent)
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                return None
            raise PaymentsUnavailable(str(exc.user_message or exc)) from exc
        except stripe.StripeError as exc:
            raise PaymentsUnavailable(str(exc.user_message or exc)) from exc
        metadata: dict[str, Any] = intent.metadata.to_dict() if intent.metadata else {}
        transfer = intent.transfer_data
        destination = transfer.destination if transfer else None
        if destination is not None and not isinstance(destination, str):
            destination = destination.id
        return IntentFacts(
            id=str(intent.id),
            order_id=str(metadata["order_id"]) if metadata.get("order_id") else None,
            amount=int(intent.amount or 0),
            currency=str(intent.currency or "").upper(),
            destination=destination,
        )

    async def account_charges_enabled(self, account: str) -> bool:
        return (await self.account_facts(account)).charges_enabled

    async def account_facts(self, account: str) -> AccountFacts:
        """May the connected account take charges, and which currencies does it settle in: its
        default, then those its country's bank accounts may receive (Country Specs,
        `supported_bank_account_currencies`). A country Stripe has no spec for leaves only the
        default: the account's own answer is what matters here."""
        try:
            found = await self._client.v1.accounts.retrieve_async(account)
        except stripe.StripeError as exc:
            raise PaymentsUnavailable(str(exc.user_message or exc)) from exc
        default = str(found.default_currency or "").upper()
        settles = [default] if default else []
        if found.country:
            try:
                spec = await self._client.v1.country_specs.retrieve_async(found.country)
            except stripe.StripeError:
                spec = None
            found_banks = spec.supported_bank_account_currencies if spec else None
            banks: dict[str, Any] = found_banks.to_dict() if found_banks else {}
            settles += sorted(c.upper() for c in banks if c.upper() != default)
        return AccountFacts(charges_enabled=bool(found.charges_enabled), currencies=settles)


def _session(session: Any) -> CheckoutSession:
    intent = session.payment_intent
    if intent is not None and not isinstance(intent, str):
        intent = intent.id
    return CheckoutSession(
        id=session.id,
        url=session.url or "",
        status=session.status or "",
        payment_status=session.payment_status or "",
        payment_intent=intent,
    )


def gateway_for(settings: Settings) -> StripeGateway | None:
    return StripeGateway(settings) if settings.stripe_enabled else None
