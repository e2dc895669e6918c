"""Country Specs (`GET /v1/country_specs/{country}`): what Stripe lets accounts of a country do.

POCtix reads `default_currency` and `supported_bank_account_currencies` (currency → the bank
countries that may receive it): the currencies such an account can settle in. The stand-in knows
a handful of countries, abridged from Stripe's answers (an EEA account settles in more currencies
than listed here); another country is Stripe's `resource_missing`.
"""

from __future__ import annotations

from typing import Any

from tests.stripe_standin.wire import missing

_EEA = ["AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PT"]
_EUROPE = {"eur": _EEA, "gbp": ["GB"], "usd": ["US"], "chf": ["CH"], "dkk": ["DK"], "sek": ["SE"]}

SPECS: dict[str, tuple[str, dict[str, list[str]]]] = {
    "US": ("usd", {"usd": ["US"]}),
    "CA": ("cad", {"cad": ["CA"], "usd": ["CA", "US"]}),
    "GB": ("gbp", _EUROPE),
    "DE": ("eur", _EUROPE),
    "FR": ("eur", _EUROPE),
    "IE": ("eur", _EUROPE),
    "JP": ("jpy", {"jpy": ["JP"]}),
}


def default_currency(country: str) -> str:
    return SPECS[country][0] if country in SPECS else "usd"


def retrieve(country: str) -> dict[str, Any]:
    if country not in SPECS:
        raise missing("country_spec", country, param="country")
    default, bank = SPECS[country]
    return {
        "id": country,
        "object": "country_spec",
        "default_currency": default,
        "supported_bank_account_currencies": {code: list(places) for code, places in bank.items()},
        "supported_payment_currencies": sorted({"usd", "eur", "gbp", "jpy", "cad", *bank}),
        "supported_payment_methods": ["card"],
        "supported_transfer_countries": sorted({p for places in bank.values() for p in places}),
        "verification_fields": {},
    }
