"""The pages a browser sees on the stand-in: hosted Checkout and Connect onboarding.

`GET /pay/<session_id>` is the session's `url`: the line items, the total, a Pay button
(`<button id="pay">`), a second button for a delayed payment method (`<button id="pay-delayed">`,
the session completes `unpaid`) and a Cancel link (`<a id="cancel">`) to `cancel_url`. Paying
completes the session, emits `checkout.session.completed` and answers 303 to `success_url` with
`{CHECKOUT_SESSION_ID}` filled in, as Stripe does. By default the redirect waits until the event
has been delivered (any answer, at most 10 s; not while webhooks are held), so a browser test
lands on a page the webhook already fulfilled; `standin.redirect_after_webhook = False` lets the
buyer arrive first, the race real Stripe allows. A session that is no longer open shows why
(expired) or goes straight to `success_url` (already paid).

`GET /onboard/<token>` is an Account Link's `url`: one button (`<button id="complete-onboarding">`)
whose POST turns `charges_enabled` on, emits `account.updated` and answers 303 to `return_url`; a
used or expired link goes to `refresh_url`.
"""

from __future__ import annotations

import contextlib
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from tests.stripe_standin import accounts, checkout
from tests.stripe_standin.objects import ZERO_DECIMAL
from tests.stripe_standin.store import Store
from tests.stripe_standin.wire import StripeError

if TYPE_CHECKING:
    from tests.stripe_standin.standin import StripeStandin

AnyRequest = Request[Any, Any, Any]


def money(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"


def _page(title: str, body: str, status: int = 200) -> Response[str]:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        '</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body><main><h1>{escape(title)}</h1><p class="standin">Stripe stand-in (test mode)</p>'
        f"{body}</main></body></html>"
    )
    return Response(html, status_code=status, media_type="text/html")


def _store(request: AnyRequest) -> Store:
    store: Store = request.app.state.store
    return store


def success_url(session: dict[str, Any]) -> str | None:
    url = session["success_url"]
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


@get("/pay/{session_id:str}", sync_to_thread=False)
def checkout_page(request: AnyRequest, session_id: FromPath[str]) -> Response[Any]:
    return _checkout(_store(request), session_id)


def _checkout(store: Store, session_id: str) -> Response[Any]:
    session = store.objects.get(session_id)
    if session is None or session["object"] != "checkout.session":
        return _page("Checkout session not found", "<p>Nothing to pay here.</p>", 404)
    if session["status"] == "expired":
        return _page("This checkout session has expired", "<p>Start again.</p>", 410)
    if session["status"] == "complete" and success_url(session):
        return Redirect(success_url(session), status_code=303)
    rows = "".join(
        f'<tr><td class="name">{escape(item["description"])}</td>'
        f'<td class="quantity">{item["quantity"]}</td>'
        f'<td class="amount">{money(item["amount_total"], item["currency"])}</td></tr>'
        for item in store.line_items.get(session_id, [])
    )
    cancel = session["cancel_url"]
    body = (
        f'<p class="email">{escape(session["customer_email"] or "")}</p>'
        "<table><thead><tr><th>Item</th><th>Qty</th><th>Amount</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f'<p>Total <strong id="total">{money(session["amount_total"], session["currency"])}'
        "</strong></p>"
        f'<form method="post" action="/pay/{escape(session_id)}">'
        '<button id="pay" type="submit" name="method" value="card">Pay</button> '
        '<button id="pay-delayed" type="submit" name="method" value="delayed">'
        "Pay by bank debit</button></form>"
        + (f'<p><a id="cancel" href="{escape(cancel)}">Cancel</a></p>' if cancel else "")
    )
    return _page("Pay", body)


@post("/pay/{session_id:str}", status_code=303)
async def pay(request: AnyRequest, session_id: FromPath[str]) -> Response[Any]:
    store = _store(request)
    form = dict(parse_qsl((await request.body()).decode()))
    try:
        with store.lock:
            before = len(store.events)
            session = checkout.complete_session(
                store, session_id, delayed=form.get("method") == "delayed"
            )
            emitted = [event["id"] for event in store.events[before:]]
    except StripeError as error:
        session = store.objects.get(session_id)
        if session and session["object"] == "checkout.session" and session["status"] == "complete":
            return _checkout(store, session_id)  # already paid: same as viewing it again
        return _page("Payment not possible", f"<p>{escape(error.message)}</p>", error.status)
    standin: StripeStandin = request.app.state.standin
    if standin.redirect_after_webhook and not standin.webhooks.holding:
        for event_id in emitted:
            with contextlib.suppress(TimeoutError):  # a slow app must not strand the buyer
                await standin.webhooks.wait_for_async(event_id=event_id)
    url = success_url(session)
    if url is None:
        return _page("Payment complete", "<p>You can close this page.</p>")
    return Redirect(url, status_code=303)


@get("/onboard/{token:str}", sync_to_thread=False)
def onboarding_page(request: AnyRequest, token: FromPath[str]) -> Response[Any]:
    store = _store(request)
    link = accounts.usable_link(store, token)
    if link is None:
        return _refresh(store, token)
    body = (
        f'<p>Account <code id="account">{escape(link["account"])}</code></p>'
        f'<form method="post" action="/onboard/{escape(token)}">'
        '<button id="complete-onboarding" type="submit">Agree and submit</button></form>'
    )
    return _page("Set up payments", body)


@post("/onboard/{token:str}", status_code=303, sync_to_thread=False)
def finish_onboarding(request: AnyRequest, token: FromPath[str]) -> Response[Any]:
    store = _store(request)
    with store.lock:
        link = accounts.usable_link(store, token)
        if link is None:
            return _refresh(store, token)
        link["used"] = True
        accounts.set_charges_enabled(store, link["account"], True)
    if link["return_url"] is None:
        return _page("Onboarding complete", "<p>You can close this page.</p>")
    return Redirect(link["return_url"], status_code=303)


def _refresh(store: Store, token: str) -> Response[Any]:
    link = store.account_links.get(token)
    if link is None or link["refresh_url"] is None:
        return _page("Link not found", "<p>This onboarding link is not valid.</p>", 404)
    return Redirect(link["refresh_url"], status_code=303)


ROUTE_HANDLERS = [checkout_page, pay, onboarding_page, finish_onboarding]
