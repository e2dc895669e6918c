"""How money and times look to people: money in minor units, times in the event's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import jinja2

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}
_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK"}


def money(minor: int, currency: str = "USD") -> str:
    amount = f"{minor:,}" if currency in _ZERO_DECIMAL else f"{minor / 100:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def when(moment: datetime, zone: str) -> str:
    """`Saturday, December 12, 2026 · 7:30 PM HST`"""
    at = local(moment, zone)
    hour = at.strftime("%I:%M %p").lstrip("0")
    return f"{at.strftime('%A, %B')} {at.day}, {at.year} · {hour} {at.tzname()}"


def clock(moment: datetime, zone: str) -> str:
    """`7:34 PM`"""
    return local(moment, zone).strftime("%I:%M %p").lstrip("0")


def now_iso() -> str:
    """The moment a page was rendered, for its "as of" note when it is shown again offline."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def register(env: jinja2.Environment) -> None:
    env.globals["now_iso"] = now_iso
    env.filters["money"] = money
    env.filters["when"] = when
    env.filters["clock"] = clock
