"""Currencies: how many minor units make a major one, as Stripe counts them, and how people type
and read amounts.

Every amount POCtix stores is an integer in the currency's minor unit *as Stripe's API takes it*
(`unit_amount`, `application_fee_amount`, refunds), so the number goes to Stripe unchanged:

- Stripe's zero-decimal currencies (JPY, KRW, …) have no minor unit: ¥1,500 is 1500.
- Its three-decimal currencies (BHD, JOD, KWD, OMR, TND) count thousandths, and Stripe wants the
  last digit 0, so prices are typed with at most two decimals.
- Everything else counts hundredths, including ISK, HUF and TWD, which Stripe still takes as
  two-decimal amounts although they are shown (ISK, HUF) without decimals: kr1,500 is 150000,
  typed "1500".

How an amount is shown (symbol, grouping, the decimals a currency shows) is CLDR's, through Babel
(`api.formatting.money`). Sources: https://docs.stripe.com/currencies (zero-decimal and
three-decimal lists, special cases).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
     "XAF", "XOF", "XPF"}
)  # fmt: skip
"""Stripe's zero-decimal currencies: an amount of 1500 is 1500 of the currency."""

THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
"""Stripe's three-decimal currencies: the minor unit is a thousandth, the last digit must be 0."""


@cache
def known() -> frozenset[str]:
    """ISO 4217 codes Babel (CLDR) knows: a code outside it is a typo, not a currency."""
    return frozenset(code for code in list_currencies() if len(code) == 3 and code.isalpha())


def is_currency(code: str) -> bool:
    return code in known()


def exponent(currency: str) -> int:
    """Decimal places of Stripe's minor unit: 0 (JPY), 3 (KWD) or 2 (everything else)."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def typed_places(currency: str) -> int:
    """Decimal places a price may be typed with: what the currency shows (CLDR: none for ISK,
    HUF) but never more than Stripe counts, and two for the three-decimal ones (Stripe wants
    their last digit 0)."""
    return min(get_currency_precision(currency), exponent(currency), 2)


def to_major(minor: int, currency: str) -> Decimal:
    """`2500` USD is `Decimal("25.00")`; `1500` JPY is `Decimal("1500")`."""
    return Decimal(minor).scaleb(-exponent(currency))


def to_minor(amount: Decimal, currency: str) -> int | None:
    """A typed amount in minor units, or None when it has more decimals than may be typed."""
    places = typed_places(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        return None
    return int(amount.scaleb(exponent(currency)))


def plain(minor: int, currency: str) -> str:
    """The amount as typed in a form or a spreadsheet: `25.00`, `1500` (JPY), `1500` (ISK)."""
    places = typed_places(currency)
    return f"{to_major(minor, currency):.{places}f}"
