"""Rules for ticket tiers that depend on settings (the database checks the rest)."""

from __future__ import annotations

from api.errors import Invalid
from api.formatting import money


class TierError(Invalid, ValueError):
    """A tier that cannot be saved; the message says why."""


def check_tier(
    *,
    name: str,
    price_minor: int,
    capacity: int,
    currency: str,
    fee_minor: int,
    platform_currency: str,
    sold: int = 0,
) -> None:
    """Raise TierError for a tier a real organizer must not be able to create.

    A tier sells in the platform's currency only: the platform fee is a number of minor units
    of PLATFORM_CURRENCY (200 is $2, but it would be ¥200 or €2 if applied to another currency)
    and Stripe takes it from the charge as is. A paid tier must cost at least the platform fee:
    Stripe refuses an application fee larger than the charge, so such a ticket could never be
    sold.
    """
    if not name.strip():
        raise TierError("Give the tier a name.")
    if currency != platform_currency:
        raise TierError(
            f"Tickets on this site are sold in {platform_currency} only; {currency} is not"
            " available (yet)."
        )
    if price_minor < 0:
        raise TierError("A price cannot be negative.")
    if 0 < price_minor < fee_minor:
        raise TierError(
            f"A paid ticket must cost at least the platform fee of {money(fee_minor, currency)}"
            " (or be free)."
        )
    if capacity < sold:
        raise TierError(f"Capacity cannot be below the {sold} tickets already sold.")
    if capacity < 0:
        raise TierError("Capacity cannot be negative.")
