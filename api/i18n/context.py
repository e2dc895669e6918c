"""The language of the work in hand: a request's page or a job's email, one context variable.

Kept free of imports from the rest of `api` so the models can read it (`Order.language`'s
default is the language the buyer was reading when the order was placed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

LANGUAGES = ("en", "es", "de")
"""What buyers can read: pages, emails, the wallet and the scanner. English is the source."""
DEFAULT = "en"

_language: ContextVar[str] = ContextVar("poctix_language", default=DEFAULT)
_chosen: ContextVar[bool] = ContextVar("poctix_language_chosen", default=False)


def supported(language: str | None) -> str | None:
    """`language` if buyers can read it (`de-AT` reads `de`), else None."""
    if not language:
        return None
    code = language.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def current() -> str:
    """The language to write in now (`en` unless a request or a job said otherwise)."""
    return _language.get()


def activate(language: str | None, *, chosen: bool = True) -> None:
    """Write in `language` from now on in this context. `chosen` says the buyer asked for it
    (their switcher cookie or Accept-Language), so an event's default language gives way."""
    _language.set(supported(language) or DEFAULT)
    _chosen.set(chosen)


def default_to(language: str | None) -> None:
    """The event's default language, used when the buyer's browser asked for none we have."""
    if not _chosen.get() and supported(language):
        _language.set(supported(language) or DEFAULT)


@contextmanager
def using(language: str | None) -> Iterator[None]:
    """Write in `language` inside the block (an email job), then as before."""
    token, chosen = _language.set(supported(language) or DEFAULT), _chosen.set(True)
    try:
        yield
    finally:
        _language.reset(token)
        _chosen.reset(chosen)


@contextmanager
def scope() -> Iterator[None]:
    """Whatever is activated inside the block ends with it (an outbox job between others)."""
    token, chosen = _language.set(_language.get()), _chosen.set(_chosen.get())
    try:
        yield
    finally:
        _language.reset(token)
        _chosen.reset(chosen)
