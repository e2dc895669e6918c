"""Which language a request is answered in: the `lang` cookie the switcher sets, else the
browser's Accept-Language matched with Babel's `negotiate_locale` (`de-AT` reads `de`), else
the event's default language (`context.default_to`, called by the pages that know the event),
else English. The back office (/admin) and the JSON APIs stay English.
"""

from __future__ import annotations

from babel.core import negotiate_locale
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from api.i18n.context import LANGUAGES, activate, supported

COOKIE = "lang"
ENGLISH_ONLY = ("/admin", "/api/", "/schema", "/webhooks/", "/healthz")
"""Paths written for staff and machines, in English whatever the browser asks for."""
SPOKEN_API = "/api/v1/scanner/"
"""Except the door phone's API: door staff read its refusals ("This pairing link has expired")
on the scanner, in the phone's language (api/i18n/refusals.py)."""


def accepted(header: str) -> list[str]:
    """An Accept-Language header's tags, most wanted first (`q=0` means "not this")."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and tag != "*" and weight > 0:
            ranked.append((-weight, index, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(*, cookie: str | None, accept_language: str | None) -> str | None:
    """The language a buyer asked for, or None when they asked for none we have."""
    if chosen := supported(cookie):
        return chosen
    if not accept_language:
        return None
    return negotiate_locale(accepted(accept_language), LANGUAGES, sep="-")


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip().strip('"')
    return None


def language_middleware(app: ASGIApp) -> ASGIApp:
    """Set the request's language (`context.current()`) before any handler or template runs."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope["path"])
        spoken = path.startswith(SPOKEN_API) or not path.startswith(ENGLISH_ONLY)
        if scope["type"] == ScopeType.HTTP and spoken:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                       if k in (b"cookie", b"accept-language")}  # fmt: skip
            cookie = _cookie(headers.get("cookie", ""), COOKIE)
            asked = negotiate(cookie=cookie, accept_language=headers.get("accept-language"))
            activate(asked, chosen=asked is not None)
        else:
            activate(None, chosen=True)
        await app(scope, receive, send)

    return middleware
