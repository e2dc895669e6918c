"""Rules for ticket tiers that depend on settings (the database checks the rest)."""

from __future__ import annotations

from collections.abc import Mapping

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
    fees: Mapping[str, int],
    sold: int = 0,
) -> None:
    """Raise TierError for a tier a real organizer must not be able to create.

    A tier sells only in a currency the platform has a fee for (`Settings.fees`): the fee is a
    number of that currency's own minor units, and Stripe takes it from the charge as is. A paid
    tier must cost at least the platform fee: Stripe refuses an application fee larger than the
    charge, so such a ticket could never be sold.
    """
    if not name.strip():
        raise TierError("Give the tier a name.")
    if currency not in fees:
        raise TierError(
            f"Tickets cannot be sold in {currency} on this site: it has no platform fee set for"
            f" {currency} (PLATFORM_FEES). Pick one of {', '.join(fees)}."
        )
    fee_minor = fees[currency]
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
