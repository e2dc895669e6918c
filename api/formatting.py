"""How money and times look to people: money in minor units, times in the event's zone.

Money is formatted by locale with Babel (CLDR): `money(150000, "USD")` is `$1,500.00` in `en` and
`1.500,00 $` in `de`; `money(1500, "JPY")` is `¥1,500`. What a minor unit is for each currency is
`api.currencies`' (Stripe's counting). The `money` Jinja filter is this function; templates, mail
and wallet code all call it, so one locale parameter reaches every price. With no locale given,
money and times are written in the current language (`api.i18n.context`: the buyer's, or the
order's for an email); English keeps its exact door wording ("7:34 PM").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_time
from babel.numbers import format_currency

from api import currencies
from api.i18n.context import current

DEFAULT_LOCALE = "en"


def money(minor: int, currency: str = "USD", locale: str | None = None) -> str:
    """An amount in minor units as people of `locale` read it (`$25.00`, `¥1,500`, `25,00 €`)."""
    code = currency.upper()
    shown = format_currency(currencies.to_major(minor, code), code, locale=locale or current())
    return _SPACING.sub("\xa0", shown)


_SPACING = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
"""CLDR's currency spacing, which Babel leaves out: a symbol that is letters (`ISK`, `CHF`)
stays apart from the digits by a no-break space, as in browsers' `Intl.NumberFormat`."""


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def when(moment: datetime, zone: str, locale: str | None = None) -> str:
    """`Saturday, December 12, 2026 · 7:30 PM HST`; `Samstag, 12. Dezember 2026 · 19:30 HST`.
    Always in the event's zone, whoever reads it."""
    at = local(moment, zone)
    language = locale or current()
    if language == DEFAULT_LOCALE:
        hour = at.strftime("%I:%M %p").lstrip("0")
        return f"{at.strftime('%A, %B')} {at.day}, {at.year} · {hour} {at.tzname()}"
    day = format_date(at, "full", locale=language)
    return f"{day} · {clock(moment, zone, language)} {at.tzname()}"


def clock(moment: datetime, zone: str, locale: str | None = None) -> str:
    """`7:34 PM` (English, as the door says it); `19:34` in German and Spanish (CLDR short)."""
    at = local(moment, zone)
    language = locale or current()
    if language == DEFAULT_LOCALE:
        return at.strftime("%I:%M %p").lstrip("0")
    return format_time(at, "short", locale=language).replace("\u202f", " ")


def now_iso() -> str:
    """The moment a page was rendered, for its "as of" note when it is shown again offline."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def register(env: jinja2.Environment) -> None:
    env.globals["now_iso"] = now_iso
    env.filters["money"] = money
    env.filters["when"] = when
    env.filters["clock"] = clock
