"""Builders for the JSON objects the stand-in returns, shaped like Stripe's own.

Each function returns a fresh dict with the fields Stripe documents for that object (at least
the ones POCtix reads, plus the common envelope: `id`, `object`, `livemode: false`, `created`).
Ids reference other objects by id string, as Stripe does; `store.py` expands them on request.
Nothing here changes state: `checkout.py`, `refunds.py` and `accounts.py` decide what happens.
"""

from __future__ import annotations

from typing import Any

from stripe._api_version import _ApiVersion

from tests.stripe_standin.wire import new_id

API_VERSION = _ApiVersion.CURRENT
"""The API version stripe-python 16 pins; events claim it too."""

ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "nzd": 50, "jpy": 50}
"""Stripe's minimum charge amounts (minor units) for the currencies a test is likely to use."""


def envelope(prefix: str, kind: str, now: int) -> dict[str, Any]:
    return {"id": new_id(prefix), "object": kind, "created": now, "livemode": False}


def checkout_session(
    params: dict[str, Any], *, now: int, amount_total: int, currency: str, base_url: str
) -> dict[str, Any]:
    session = envelope("cs_test", "checkout.session", now)
    session.update(
        amount_subtotal=amount_total,
        amount_total=amount_total,
        cancel_url=params.get("cancel_url"),
        client_reference_id=params.get("client_reference_id"),
        currency=currency,
        customer=None,
        customer_details=None,
        customer_email=params.get("customer_email"),
        expires_at=params.get("expires_at", now + 24 * 3600),
        locale=params.get("locale"),
        metadata=dict(params.get("metadata") or {}),
        mode=params["mode"],
        payment_intent=None,
        payment_method_types=list(params.get("payment_method_types") or ["card"]),
        payment_status="unpaid",
        status="open",
        success_url=params.get("success_url"),
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        ui_mode="hosted",
    )
    session["url"] = f"{base_url}/pay/{session['id']}"
    return session


def line_item(item: dict[str, Any], *, now: int) -> dict[str, Any]:
    price_data = item["price_data"]
    quantity = item["quantity"]
    unit_amount = int(price_data.get("unit_amount", price_data.get("unit_amount_decimal", 0)))
    name = price_data["product_data"]["name"]
    price = envelope("price", "price", now)
    price.update(
        active=False,
        currency=price_data["currency"],
        product=new_id("prod"),
        type="one_time",
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
    )
    line = envelope("li", "item", now)
    del line["created"], line["livemode"]
    line.update(
        amount_discount=0,
        amount_subtotal=unit_amount * quantity,
        amount_tax=0,
        amount_total=unit_amount * quantity,
        currency=price_data["currency"],
        description=name,
        price=price,
        quantity=quantity,
    )
    return line


def payment_intent(
    session: dict[str, Any], data: dict[str, Any], *, now: int, status: str, charge_id: str
) -> dict[str, Any]:
    intent = envelope("pi", "payment_intent", now)
    transfer = data.get("transfer_data")
    intent.update(
        amount=session["amount_total"],
        amount_capturable=0,
        amount_received=session["amount_total"] if status == "succeeded" else 0,
        application_fee_amount=data.get("application_fee_amount"),
        capture_method=data.get("capture_method", "automatic_async"),
        currency=session["currency"],
        customer=None,
        description=data.get("description"),
        last_payment_error=None,
        latest_charge=charge_id,
        metadata=dict(data.get("metadata") or {}),
        on_behalf_of=data.get("on_behalf_of"),
        payment_method=new_id("pm"),
        payment_method_types=list(session["payment_method_types"]),
        receipt_email=data.get("receipt_email"),
        status=status,
        transfer_data=dict(transfer) if transfer else None,
        transfer_group=data.get("transfer_group")
        or (f"group_{session['id']}" if transfer else None),
    )
    return intent


def charge(
    intent: dict[str, Any], *, charge_id: str, now: int, status: str, email: str | None
) -> dict[str, Any]:
    transfer = intent["transfer_data"]
    payment_method = "card" if status != "pending" else "us_bank_account"
    details: dict[str, Any] = {"type": payment_method}
    if payment_method == "card":
        details["card"] = {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034}
    return {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if status == "succeeded" else 0,
        "amount_refunded": 0,
        "application_fee": new_id("fee") if intent["application_fee_amount"] else None,
        "application_fee_amount": intent["application_fee_amount"],
        "balance_transaction": new_id("txn") if status == "succeeded" else None,
        "billing_details": {"email": email, "name": "Test Buyer", "phone": None, "address": None},
        "captured": status == "succeeded",
        "created": now,
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "destination": transfer["destination"] if transfer else None,
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": intent["on_behalf_of"],
        "paid": status == "succeeded",
        "payment_intent": intent["id"],
        "payment_method": intent["payment_method"],
        "payment_method_details": details,
        "receipt_email": intent["receipt_email"],
        "receipt_url": None,
        "refunded": False,
        "status": status,
        "transfer": new_id("tr") if transfer and status == "succeeded" else None,
        "transfer_data": dict(transfer) if transfer else None,
        "transfer_group": intent["transfer_group"],
    }


def refund(
    charge_obj: dict[str, Any], *, amount: int, now: int, status: str, **fields: Any
) -> dict[str, Any]:
    obj = envelope("re", "refund", now)
    obj.update(
        amount=amount,
        balance_transaction=new_id("txn"),
        charge=charge_obj["id"],
        currency=charge_obj["currency"],
        destination_details={"type": "card", "card": {"type": "refund"}},
        failure_reason=None,
        metadata=dict(fields.get("metadata") or {}),
        payment_intent=charge_obj["payment_intent"],
        reason=fields.get("reason"),
        status=status,
        transfer_reversal=new_id("trr") if fields.get("reverse_transfer") else None,
    )
    return obj


def dispute(charge_obj: dict[str, Any], *, amount: int, reason: str, now: int) -> dict[str, Any]:
    obj = envelope("dp", "dispute", now)
    obj.update(
        amount=amount,
        balance_transactions=[],
        charge=charge_obj["id"],
        currency=charge_obj["currency"],
        evidence={},
        evidence_details={
            "due_by": now + 7 * 24 * 3600,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        is_charge_refundable=False,
        metadata={},
        payment_intent=charge_obj["payment_intent"],
        reason=reason,
        status="needs_response",
    )
    return obj


ACCOUNT_TYPES = {"express": "express", "full": "standard", "none": "custom"}


def account(params: dict[str, Any], *, now: int) -> dict[str, Any]:
    obj = envelope("acct", "account", now)
    controller = params.get("controller") or {}
    dashboard = (controller.get("stripe_dashboard") or {}).get("type", "full")
    requested = {
        name for name, value in (params.get("capabilities") or {}).items() if value.get("requested")
    }
    obj.update(
        business_profile=params.get("business_profile") or {},
        business_type=params.get("business_type"),
        capabilities=dict.fromkeys(sorted(requested), "inactive"),
        charges_enabled=False,
        controller={**controller, "type": "application", "is_controller": True},
        country=params.get("country", "US"),
        default_currency=params.get("default_currency", "usd"),
        details_submitted=False,
        email=params.get("email"),
        metadata=dict(params.get("metadata") or {}),
        payouts_enabled=False,
        requirements=account_requirements(enabled=False),
        type=params.get("type") or ACCOUNT_TYPES.get(dashboard, "standard"),
    )
    return obj


def account_requirements(*, enabled: bool) -> dict[str, Any]:
    due = [] if enabled else ["business_profile.url", "external_account", "tos_acceptance.date"]
    return {
        "currently_due": due,
        "eventually_due": due,
        "past_due": due,
        "disabled_reason": None if enabled else "requirements.past_due",
    }


def webhook_endpoint(
    url: str, events: list[str], *, connect: bool, status: str, now: int
) -> dict[str, Any]:
    """As `GET /v1/webhook_endpoints` lists it: no `secret` (Stripe shows it only at creation).
    `connect` is not in Stripe's documented object; the stand-in carries it so a test can say
    which kind of endpoint the dashboard made."""
    obj = envelope("we", "webhook_endpoint", now)
    obj.update(
        api_version=None,
        application=None,
        connect=connect,
        description=None,
        enabled_events=list(events),
        metadata={},
        status=status,
        url=url,
    )
    return obj


def event(
    kind: str,
    snapshot: dict[str, Any],
    *,
    now: int,
    previous: dict[str, Any] | None = None,
    account_id: str | None = None,
    request: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": snapshot}
    if previous is not None:
        data["previous_attributes"] = previous
    obj = envelope("evt", "event", now)
    if account_id is not None:
        obj["account"] = account_id
    obj.update(
        api_version=API_VERSION,
        data=data,
        pending_webhooks=1,
        request=request or {"id": None, "idempotency_key": None},
        type=kind,
    )
    return obj


def list_of(items: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "has_more": False,
        "total_count": len(items),
        "url": url,
    }
