"""Checkout Sessions: the rules Stripe applies at creation, and a session's life afterwards.

Only what POCtix uses is modelled: `mode=payment` with inline `price_data`, destination charges
(`payment_intent_data.transfer_data.destination` plus `application_fee_amount`). Creation checks
the rules Stripe enforces beyond parameter types: `expires_at` 30 minutes to 24 hours ahead, the
fee no larger than the total, one currency, Stripe's minimum charge, a destination account that
exists and can receive transfers, well-formed URLs and email.

Completion follows Stripe's order: the payment intent and its charge are created when the buyer
pays (not at session creation), the session turns `complete`, and `checkout.session.completed` is
emitted with `payment_status` `paid`, or `unpaid` for delayed methods, which later settle with
`checkout.session.async_payment_succeeded` or `…_failed`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tests.stripe_standin import objects
from tests.stripe_standin.store import Store
from tests.stripe_standin.wire import StripeError, missing, new_id

MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_session(
    store: Store, params: dict[str, Any], *, request: dict[str, Any] | None = None
) -> dict[str, Any]:
    with store.lock:
        now = store.now()
        if params.get("mode") != "payment":
            raise StripeError(
                "The stand-in only implements `mode=payment` Checkout Sessions.", param="mode"
            )
        items = params.get("line_items") or []
        if not items:
            raise StripeError(
                "You must specify `line_items` in `payment` mode.", param="line_items"
            )
        currency = _check_line_items(items)
        total = sum(_unit_amount(item["price_data"]) * item["quantity"] for item in items)
        minimum = objects.MINIMUM_CHARGE.get(currency, 0)
        if 0 < total < minimum:
            raise StripeError(
                f"The Checkout Session's total amount due must add up to at least {minimum} "
                f"({currency}).",
                code="amount_too_small",
            )
        data = params.get("payment_intent_data") or {}
        _check_destination(store, data, total)
        _check_expiry(params, now)
        for name in ("success_url", "cancel_url"):
            url = params.get(name)
            if url is not None and not _is_url(url):
                raise StripeError(f"Not a valid URL: {url}", param=name, code="url_invalid")
        email = params.get("customer_email")
        if email is not None and not EMAIL.match(email):
            raise StripeError(f"Invalid email address: {email}", param="customer_email")
        reference = params.get("client_reference_id")
        if reference is not None and len(reference) > 200:
            raise StripeError(
                "Invalid client_reference_id: must be at most 200 characters",
                param="client_reference_id",
            )
        session = objects.checkout_session(
            params, now=now, amount_total=total, currency=currency, base_url=store.base_url
        )
        store.add(session)
        store.line_items[session["id"]] = [objects.line_item(item, now=now) for item in items]
        store.intent_data[session["id"]] = data
        return session


def _check_line_items(items: list[dict[str, Any]]) -> str:
    currencies = set()
    for index, item in enumerate(items):
        where = f"line_items[{index}]"
        if "price" in item:
            raise missing("price", item["price"], param=f"{where}[price]", status=400)
        price_data = item.get("price_data")
        if price_data is None:
            raise StripeError(
                f"You must specify either `price` or `price_data` in `{where}`.", param=where
            )
        if "quantity" not in item:
            raise StripeError(
                f"Quantity is required. Add `quantity` to `{where}`", param=f"{where}[quantity]"
            )
        if not 0 < item["quantity"] <= 999_999:
            raise StripeError(
                f"Invalid {where}[quantity]: must be between 1 and 999999",
                param=f"{where}[quantity]",
            )
        if "product" in price_data:
            raise missing("product", price_data["product"], param=f"{where}[price_data][product]")
        if "product_data" not in price_data:
            raise StripeError(
                "You must specify either `product` or `product_data` when creating a price.",
                param=f"{where}[price_data]",
            )
        if "recurring" in price_data:
            raise StripeError(
                "You must use `subscription` mode for recurring prices.",
                param=f"{where}[price_data][recurring]",
            )
        given = [name for name in ("unit_amount", "unit_amount_decimal") if name in price_data]
        if len(given) != 1:
            raise StripeError(
                "You must specify exactly one of these parameters: unit_amount, "
                "unit_amount_decimal.",
                param=f"{where}[price_data][unit_amount]",
            )
        if _unit_amount(price_data) < 0:
            raise StripeError(
                "Invalid non-negative integer", param=f"{where}[price_data][unit_amount]"
            )
        currency = price_data["currency"]
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise StripeError(
                f"Invalid currency: {currency}. Stripe currently supports these currencies: "
                "lowercase ISO codes such as usd, eur, gbp.",
                param=f"{where}[price_data][currency]",
            )
        currencies.add(currency)
    if len(currencies) > 1:
        raise StripeError(
            "Checkout does not support multiple currencies in a single session.",
            param="line_items",
        )
    return currencies.pop()


def _unit_amount(price_data: dict[str, Any]) -> int:
    if "unit_amount" in price_data:
        return int(price_data["unit_amount"])
    decimal = price_data["unit_amount_decimal"]
    if decimal != int(decimal):
        raise StripeError(
            "The stand-in only supports whole-unit unit_amount_decimal values.",
            param="unit_amount_decimal",
        )
    return int(decimal)


def _check_destination(store: Store, data: dict[str, Any], total: int) -> None:
    fee = data.get("application_fee_amount")
    destination = (data.get("transfer_data") or {}).get("destination")
    if fee is not None:
        if destination is None and data.get("on_behalf_of") is None:
            raise StripeError(
                "Can only apply an application_fee_amount when the PaymentIntent is attempting a "
                "direct payment (using an OAuth key or Stripe-Account header) or destination "
                "payment (using `transfer_data[destination]`).",
                param="payment_intent_data[application_fee_amount]",
            )
        if not 0 <= fee <= total:
            raise StripeError(
                f"The application fee ({fee}) must be between 0 and the Checkout Session's "
                f"total amount ({total}).",
                param="payment_intent_data[application_fee_amount]",
            )
    if destination is None:
        return
    param = "payment_intent_data[transfer_data][destination]"
    account = store.objects.get(destination)
    if account is None or account.get("object") != "account":
        raise missing("destination", destination, param=param, status=400)
    if account["capabilities"].get("transfers") != "active":
        raise StripeError(
            "Your destination account needs to have at least one of the following capabilities "
            "enabled: transfers, crypto_transfers, legacy_payments",
            param=param,
            code="insufficient_capabilities_for_transfer",
        )


def _check_expiry(params: dict[str, Any], now: int) -> None:
    expires_at = params.get("expires_at")
    if expires_at is None:
        return
    if expires_at - now < MIN_EXPIRY:
        raise StripeError(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            f"creation (it is {expires_at - now} seconds away).",
            param="expires_at",
        )
    if expires_at - now > MAX_EXPIRY:
        raise StripeError(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )


def _is_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def open_session(store: Store, session_id: str) -> dict[str, Any]:
    session = store.get(session_id, "checkout.session", param="session")
    if session["status"] != "open":
        raise StripeError(
            f"This Checkout Session is {session['status']}, not open.",
            code="checkout_session_not_open",
        )
    return session


def complete_session(
    store: Store, session_id: str, *, delayed: bool = False, email: str | None = None
) -> dict[str, Any]:
    """The buyer pays: card (paid now) or a delayed method such as a bank debit (unpaid)."""
    with store.lock:
        session = open_session(store, session_id)
        now = store.now()
        if now >= session["expires_at"]:
            raise StripeError("This Checkout Session has passed its expires_at.")
        email = email or session["customer_email"] or "buyer@example.com"
        session.update(
            status="complete",
            customer_details={
                "address": None,
                "email": email,
                "name": "Test Buyer",
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
        )
        if session["amount_total"] == 0:
            session["payment_status"] = "no_payment_required"
        else:
            status = "processing" if delayed else "succeeded"
            charge_id = new_id("ch")
            data = store.intent_data[session_id]
            intent = objects.payment_intent(
                session, data, now=now, status=status, charge_id=charge_id
            )
            charge_status = "pending" if delayed else "succeeded"
            store.add(intent)
            store.add(
                objects.charge(
                    intent, charge_id=charge_id, now=now, status=charge_status, email=email
                )
            )
            session["payment_intent"] = intent["id"]
            session["payment_status"] = "unpaid" if delayed else "paid"
        store.emit("checkout.session.completed", session)
        return session


def settle_delayed_payment(store: Store, session_id: str, *, succeeded: bool) -> dict[str, Any]:
    """A delayed payment method finally succeeds or fails."""
    with store.lock:
        session = store.get(session_id, "checkout.session", param="session")
        intent = store.objects.get(session["payment_intent"] or "")
        if session["status"] != "complete" or intent is None or intent["status"] != "processing":
            raise StripeError(f"Checkout Session {session_id} has no delayed payment pending.")
        charge = store.objects[intent["latest_charge"]]
        if succeeded:
            intent.update(status="succeeded", amount_received=intent["amount"])
            charge.update(
                status="succeeded",
                paid=True,
                captured=True,
                amount_captured=charge["amount"],
                balance_transaction=new_id("txn"),
                transfer=new_id("tr") if charge["transfer_data"] else None,
            )
            session["payment_status"] = "paid"
            return _emitted(store, "checkout.session.async_payment_succeeded", session)
        failure = {"code": "payment_method_provider_decline", "message": "The bank declined."}
        intent.update(status="requires_payment_method", last_payment_error=failure)
        charge.update(
            status="failed", failure_code=failure["code"], failure_message=failure["message"]
        )
        return _emitted(store, "checkout.session.async_payment_failed", session)


def expire_session(
    store: Store, session_id: str, *, request: dict[str, Any] | None = None
) -> dict[str, Any]:
    with store.lock:
        session = store.get(session_id, "checkout.session", param="session")
        if session["status"] != "open":
            raise StripeError(
                "Only Checkout Sessions with a status in ['open'] can be expired. This Checkout "
                f"Session has a status of {session['status']}.",
                param="session",
            )
        session.update(status="expired", url=None)
        return _emitted(store, "checkout.session.expired", session, request=request)


def _emitted(store: Store, kind: str, session: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    store.emit(kind, session, **kwargs)
    return session
