"""Connected accounts and Account Links: how an organizer onboards and becomes able to sell.

A new account has `charges_enabled`, `details_submitted` and `payouts_enabled` false and its
requested capabilities `inactive`. Finishing onboarding (the stand-in's page behind an Account
Link, or `set_charges_enabled` from a test) turns them on and emits `account.updated` with
`previous_attributes`; that event carries `"account": "acct_…"` and goes to the Connect endpoint.

An Account Link is single use and lives five minutes; a used or stale link sends the browser to
`refresh_url`, as Stripe does.
"""

from __future__ import annotations

import secrets
from typing import Any

from tests.stripe_standin import objects
from tests.stripe_standin.checkout import EMAIL
from tests.stripe_standin.store import Store
from tests.stripe_standin.wire import StripeError, missing

LINK_LIFETIME = 300
PLATFORM_ACCOUNT = "acct_standinplatform"


def create_account(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    if "type" not in params and "controller" not in params:
        raise StripeError(
            "You must provide either `type` or `controller` when creating an account."
        )
    if "type" in params and "controller" in params:
        raise StripeError("You cannot provide both `type` and `controller`.", param="controller")
    email = params.get("email")
    if email is not None and not EMAIL.match(email):
        raise StripeError(f"Invalid email address: {email}", param="email")
    return store.add(objects.account(params, now=store.now()))


def platform_account(store: Store) -> dict[str, Any]:
    """`GET /v1/account`: the account the API key belongs to, a platform able to charge."""
    account = objects.account(
        {"type": "standard", "email": "platform@example.com"}, now=store.now()
    )
    account.update(
        id=PLATFORM_ACCOUNT,
        charges_enabled=True,
        details_submitted=True,
        payouts_enabled=True,
        requirements=objects.account_requirements(enabled=True),
    )
    del account["controller"]
    return account


def create_link(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    with store.lock:
        account = store.objects.get(params["account"])
        if account is None or account["object"] != "account":
            raise missing("account", params["account"], param="account", status=400)
        for name in ("refresh_url", "return_url"):
            if params["type"] == "account_onboarding" and name not in params:
                raise StripeError(f"Missing required param: {name}.", param=name)
        now = store.now()
        token = secrets.token_urlsafe(16)
        store.account_links[token] = {
            "account": account["id"],
            "refresh_url": params.get("refresh_url"),
            "return_url": params.get("return_url"),
            "expires_at": now + LINK_LIFETIME,
            "used": False,
        }
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + LINK_LIFETIME,
            "url": f"{store.base_url}/onboard/{token}",
        }


def usable_link(store: Store, token: str) -> dict[str, Any] | None:
    """The link's record if it can still be followed; None sends the browser to refresh_url."""
    with store.lock:
        link = store.account_links.get(token)
        if link is None or link["used"] or store.now() >= link["expires_at"]:
            return None
        return link


def set_charges_enabled(
    store: Store, account_id: str, enabled: bool = True, *, announce: bool = True
) -> dict[str, Any]:
    """Onboarding finished (or Stripe disabled the account): emits `account.updated`."""
    with store.lock:
        account = store.get(account_id, "account")
        fields = ("charges_enabled", "details_submitted", "payouts_enabled", "capabilities")
        previous = {name: account[name] for name in fields}
        previous["requirements"] = account["requirements"]
        state = "active" if enabled else "inactive"
        account.update(
            charges_enabled=enabled,
            details_submitted=enabled,
            payouts_enabled=enabled,
            capabilities=dict.fromkeys(
                account["capabilities"] or ("card_payments", "transfers"), state
            ),
            requirements=objects.account_requirements(enabled=enabled),
        )
        changed = {name: value for name, value in previous.items() if account[name] != value}
        if announce:
            store.emit("account.updated", account, previous=changed, account_id=account_id)
        return account
