"""Security headers on every response, and the endpoint browsers report CSP violations to.

The Content-Security-Policy is strict for scripts: same-origin files only, no inline script, no
eval; `'wasm-unsafe-eval'` lets the scanner compile its QR decoder (zxing wasm, served from
/pwa/vendor). Styles may be inline (the pages carry one small `<style>` block to stay one request).
Forms may post to this site and be redirected to Stripe (Checkout and Connect onboarding) only.
No page can be framed (`frame-ancestors 'none'`), the public event page included, except a partner
site's embed (/e/{slug}/embed, api/partners/pages.py): it sends its own policy, built here with
`frame_ancestors` naming that partner's registered origin only. The event page's checkout could
otherwise be framed by any site (clickjacking), and no flow needs it framed: the embed's checkout
opens in a tab of its own.

HSTS is sent when the site is served over HTTPS (BASE_URL starts with https://).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, post
from litestar.types import Message, Scope

from api.settings import Settings
from api.web.observability import scrub

log = logging.getLogger("poctix.csp")

STRIPE_FORM_TARGETS = ("https://checkout.stripe.com", "https://connect.stripe.com")
REPORT_PATH = "/csp-report"
NO_FRAMING = "'none'"


NO_STORE = {"Cache-Control": "no-store"}
"""For pages showing one person's or one organizer's data (the dashboard, a checkout step):
no browser or proxy keeps a copy. Litestar copies a response's headers, so one dict serves all."""

PRIVATE_HEADERS = {**NO_STORE, "Referrer-Policy": "no-referrer"}
"""For every answer behind a link that is itself the credential (an order's passes, a waiting
list offer, a sign-in link, a door phone's pairing): no cache keeps it, and the link never
leaves in a Referer header."""


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def content_security_policy(settings: Settings, *, frame_ancestors: str | None = None) -> str:
    """The policy; `frame_ancestors`: the one origin allowed to frame the page (None: none)."""
    form_targets = ["'self'", *STRIPE_FORM_TARGETS]
    standin = _origin(settings.stripe_api_base) if settings.stripe_api_base else None
    if standin:  # a Stripe-compatible API elsewhere (test mode through a local stand-in)
        form_targets.append(standin)
    directives = [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        f"form-action {' '.join(form_targets)}",
        f"frame-ancestors {frame_ancestors or NO_FRAMING}",
        f"report-uri {REPORT_PATH}",
    ]
    return "; ".join(directives)


def security_headers(settings: Settings) -> Any:
    """A `before_send` hook adding the headers to every HTTP response start."""
    policy = content_security_policy(settings).encode()
    fixed = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), payment=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if settings.base_url.startswith("https://"):
        fixed.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        present = {name.lower() for name, _ in headers}
        if b"content-security-policy" not in present:
            headers.append((b"content-security-policy", policy))
        headers.extend(item for item in fixed if item[0] not in present)
        message["headers"] = headers

    return add_headers


@post(REPORT_PATH, status_code=204, include_in_schema=False, request_max_body_size=16 * 1024)
async def csp_report(request: Request[Any, Any, Any]) -> None:
    """Browsers POST `application/csp-report` here; each report is one warning in the logs."""
    body = await request.body()
    log.warning("csp violation: %s", scrub(body[:2000].decode("utf-8", "replace")))
