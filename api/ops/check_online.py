"""`poctix check --online`: ask Stripe and the mail provider whether the settings really work.

Stripe: the platform account (`GET /v1/account`: the key is accepted) and the webhook endpoints
(`GET /v1/webhook_endpoints`): one for `{BASE_URL}/webhooks/stripe` sending every event the app
handles, one for `{BASE_URL}/webhooks/stripe-connect` sending the Connect events. The event lists
come from the dispatch tables in `api/payments/webhooks.py`, so a new handler is checked at once.

Mail: the Postmark-style API's `GET /server` with the server token (what the outbox sends with),
or an SMTP session that connects, says EHLO, upgrades and logs in as configured, then quits
without sending anything.

Every network failure becomes a finding with a plain reason; nothing here raises. Keys, tokens
and passwords never appear in findings: Stripe masks keys in its own messages, and the texts
below name settings, never their values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import aiosmtplib
import httpx
import stripe

from api.ops.check import Finding, single
from api.payments.gateway import stripe_client
from api.settings import Settings

TIMEOUT = 10.0
PLATFORM_PATH = "/webhooks/stripe"
CONNECT_PATH = "/webhooks/stripe-connect"


def _masked(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


async def stripe_findings(settings: Settings) -> list[Finding]:
    if not settings.stripe_secret_key:
        return []
    http = stripe.HTTPXClient(timeout=TIMEOUT)
    # No retries: a check reports at once; the operator runs it again.
    client = stripe_client(settings, http, retries=0)
    try:
        account = await client.v1.accounts.retrieve_current_async()
        listed = await client.v1.webhook_endpoints.list_async({"limit": 100})
        endpoints = [item.to_dict() async for item in listed.auto_paging_iter()]
    except stripe.AuthenticationError as exc:
        return single(
            "problem",
            "STRIPE_SECRET_KEY",
            "was refused by Stripe "
            f"({_masked(str(exc.user_message or exc), settings.stripe_secret_key)}). "
            "Copy the secret key again from Dashboard → Developers → API keys.",
        )
    except stripe.PermissionError:
        return single(
            "problem",
            "STRIPE_SECRET_KEY",
            "may not read the account or its webhook "
            "endpoints. Give the restricted key read access to both, or use the "
            "secret key.",
        )
    except stripe.APIConnectionError as exc:
        return single(
            "problem",
            "STRIPE_SECRET_KEY",
            "could not be checked: Stripe did not "
            f"answer ({type(exc).__name__}). Check this host's outbound HTTPS.",
        )
    except stripe.StripeError as exc:
        text = _masked(str(exc.user_message or exc), settings.stripe_secret_key)
        return single("problem", "STRIPE_SECRET_KEY", f"could not be checked: Stripe said {text}")
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]
    mode = "live" if account.to_dict().get("livemode") else "test"
    findings = single("ok", "STRIPE_SECRET_KEY", f"opens the Stripe account {account.id} ({mode}).")
    findings += endpoint_findings(endpoints, settings.base_url)
    return findings


def endpoint_findings(endpoints: Sequence[Mapping[str, Any]], base_url: str) -> list[Finding]:
    """Both webhook endpoints exist, are enabled and send what the app handles."""
    from api.payments.webhooks import CONNECT, PLATFORM

    root = base_url.rstrip("/")
    return [
        _endpoint(
            endpoints,
            f"{root}{PLATFORM_PATH}",
            PLATFORM,
            connect=False,
            setting="STRIPE_WEBHOOK_SECRET",
        ),
        _endpoint(
            endpoints,
            f"{root}{CONNECT_PATH}",
            CONNECT,
            connect=True,
            setting="STRIPE_CONNECT_WEBHOOK_SECRET",
        ),
    ]


def _endpoint(
    endpoints: Sequence[Mapping[str, Any]],
    url: str,
    events: Iterable[str],
    *,
    connect: bool,
    setting: str,
) -> Finding:
    wanted = sorted(events)
    kind = "Connected accounts" if connect else "Your account"
    add = (
        f"Add a webhook endpoint for {url} (Dashboard → Developers → Webhooks, "
        f'"{kind}") sending {", ".join(wanted)}, and put its signing secret in {setting}.'
    )
    same_url = [item for item in endpoints if str(item.get("url", "")).rstrip("/") == url]
    if not same_url:
        return Finding("problem", setting, f"Stripe has no webhook endpoint for {url}. {add}")
    reasons = [_endpoint_faults(item, wanted, connect=connect) for item in same_url]
    if any(not faults for faults in reasons):
        return Finding("ok", setting, f"the webhook endpoint {url} is enabled and complete.")
    faults = min(reasons, key=len)
    return Finding("problem", setting, f"the webhook endpoint {url} {'; '.join(faults)}.")


def _endpoint_faults(endpoint: Mapping[str, Any], wanted: list[str], *, connect: bool) -> list[str]:
    faults = []
    if endpoint.get("status") != "enabled":
        faults.append(f"is {endpoint.get('status')}: enable it in the Stripe dashboard")
    enabled = set(endpoint.get("enabled_events") or ())
    missing = [name for name in wanted if name not in enabled]
    if "*" not in enabled and missing:
        faults.append(f"does not send {', '.join(missing)}: add them to it")
    # Stripe's documented object has no `connect` field (it is a create parameter); when an
    # answer carries it, it must match, else the endpoint hears the wrong account's events.
    flag = endpoint.get("connect")
    if flag is not None and bool(flag) != connect:
        faults.append(
            "listens to your own account, not connected accounts: recreate it for "
            '"Connected accounts"'
            if connect
            else 'listens to connected accounts: recreate it for "Your account"'
        )
    return faults


async def mail_api_findings(settings: Settings) -> list[Finding]:
    if not (settings.mail_api_url and settings.mail_api_token):
        return []
    url = settings.mail_api_url.rstrip("/") + "/server"
    headers = {"X-Postmark-Server-Token": settings.mail_api_token, "Accept": "application/json"}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return single(
            "problem",
            "MAIL_API_URL",
            f"{url} could not be reached ({type(exc).__name__}: {exc}). Check MAIL_API_URL.",
        )
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}
    if response.status_code in (401, 403) or answer.get("ErrorCode") == 10:
        return single(
            "problem",
            "MAIL_API_TOKEN",
            f"was refused by {url} (HTTP "
            f"{response.status_code}). Set it to the server's API token.",
        )
    if response.status_code != 200:
        detail = str(answer.get("Message", ""))[:200]
        return single(
            "problem",
            "MAIL_API_URL",
            f"{url} answered HTTP {response.status_code} "
            f"{detail}. Check MAIL_API_URL (the API's base URL).",
        )
    name = answer.get("Name")
    return single("ok", "MAIL_API_TOKEN", f"the email API accepts it (server {name!r}).")


async def smtp_findings(settings: Settings) -> list[Finding]:
    if not settings.smtp_host:
        return []
    s = settings
    where = f"{s.smtp_host}:{s.smtp_port}"
    smtp = aiosmtplib.SMTP(
        hostname=s.smtp_host,
        port=s.smtp_port,
        timeout=TIMEOUT,
        use_tls=s.smtp_tls == "tls",
        start_tls=s.smtp_tls == "starttls",
    )
    step = "connect"
    try:
        async with asyncio.timeout(TIMEOUT * 2):
            await smtp.connect()
            step = "EHLO"
            if smtp.last_ehlo_response is None:
                await smtp.ehlo()
            if s.smtp_username:
                step = "login"
                await smtp.login(s.smtp_username, s.smtp_password)
            step = "QUIT"
            await smtp.quit()
    except aiosmtplib.SMTPAuthenticationError as exc:
        return single(
            "problem",
            "SMTP_PASSWORD",
            f"{where} refused SMTP_USERNAME/SMTP_PASSWORD "
            f"({exc.code}). Set the credentials your mail provider gave you.",
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return single(
            "problem",
            "SMTP_HOST",
            f"{where} failed at {step} ({reason}). Check "
            "SMTP_HOST, SMTP_PORT and SMTP_TLS (starttls for 587, tls for 465).",
        )
    finally:
        smtp.close()
    done = ["EHLO"] + (["STARTTLS"] if s.smtp_tls == "starttls" else [])
    done += ["login"] if s.smtp_username else []
    return single("ok", "SMTP_HOST", f"{where} answered ({', '.join(done)}); nothing was sent.")


async def online_findings(settings: Settings) -> list[Finding]:
    parts = await asyncio.gather(
        stripe_findings(settings), mail_api_findings(settings), smtp_findings(settings)
    )
    return [finding for part in parts for finding in part]
