"""An event's currency: which ones an organizer may pick, and changing it before the first sale.

An event sells in one currency; every tier carries a copy of it (orders, exports and Stripe read
the tier's), kept equal here. The currencies offered are those with a platform fee
(`Settings.fees`, PLATFORM_FEES) that the organizer's connected Stripe account settles in
(`Organizer.stripe_currencies`, copied from Stripe at onboarding and on `account.updated`). Before
Stripe has told us (no account yet, or none onboarded since this was added), every currency with
a fee is offered: Stripe converts a charge it cannot settle, so nothing breaks, and the list
narrows as soon as the account is known (back to every currency with a fee when the site has a
fee for none of the account's).

A currency without a fee is refused: the fee is a number of the currency's own minor units, so
there is no sane default (200 is $2 but ¥200). Once a tier has sold or held a ticket, the
currency is fixed (Tito's rule; orders and refunds are in it). Before that, changing it keeps
each price's typed number (25.00 USD becomes 25.00 EUR; 1500 JPY becomes 1500.00 USD) and
refuses what the new currency cannot say (25.50 USD in JPY), naming the tier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import currencies
from api.db import Event, Organizer, TicketTier
from api.errors import Invalid
from api.events.tiers import check_tier


def offered(fees: Mapping[str, int], account: Sequence[str]) -> list[str]:
    """Currencies an organizer whose account settles in `account` (default first; empty: not
    known) may sell in, in the account's order. When the site has a fee for none of them, every
    currency with a fee: Stripe converts what the account cannot settle, and the organizer can
    still sell (free events need no Stripe at all)."""
    return [code for code in account if code in fees] or list(fees)


def default_for(fees: Mapping[str, int], account: Sequence[str]) -> str:
    """A new event's currency: the account's default when it has a fee, else the first fee."""
    choices = offered(fees, account)
    return choices[0] if choices else next(iter(fees))


def check(currency: str, *, fees: Mapping[str, int], account: Sequence[str]) -> None:
    """Invalid, in the organizer's words, unless the event may sell in `currency`."""
    if not currencies.is_currency(currency):
        raise Invalid(f"“{currency}” is not a currency code such as USD or EUR.")
    if currency not in fees:
        raise Invalid(
            f"Tickets cannot be sold in {currency} on this site: it has no platform fee set for "
            f"{currency} (ask the operator to add it to PLATFORM_FEES). Pick one of "
            f"{', '.join(fees)}."
        )
    choices = offered(fees, account)
    if currency not in choices:
        raise Invalid(
            f"Your Stripe account does not settle in {currency} (it settles in "
            f"{', '.join(account)}). Pick one of {', '.join(choices)}."
        )


async def account_currencies(db: AsyncSession, organizer_id: object) -> list[str]:
    found = await db.scalar(select(Organizer.stripe_currencies).where(Organizer.id == organizer_id))
    return list(found or [])


async def change(db: AsyncSession, *, event: Event, currency: str, fees: Mapping[str, int]) -> None:
    """Move the event and its tiers to `currency` (already `check`ed); Invalid when a tier has
    sold or holds tickets, or a price cannot be said in the new currency. Locks the tiers, so a
    checkout cannot take a hold meanwhile; the caller commits."""
    tiers = list(
        await db.scalars(
            select(TicketTier)
            .where(TicketTier.event_id == event.id)
            .order_by(TicketTier.position)
            .with_for_update()
        )
    )
    if any(tier.sold or tier.held for tier in tiers):
        raise Invalid(
            f"The currency stays {event.currency}: tickets have been sold or are held in a "
            "checkout (orders and refunds are in it)."
        )
    problems: list[str] = []
    prices: list[int] = []
    for tier in tiers:
        price = currencies.to_minor(currencies.to_major(tier.price_minor, tier.currency), currency)
        if price is None:
            problems.append(
                f"The price of “{tier.name}” ({currencies.plain(tier.price_minor, tier.currency)})"
                f" has decimals {currency} does not have: change it first."
            )
            continue
        try:
            check_tier(name=tier.name, price_minor=price, capacity=tier.capacity,
                       currency=currency, fees=fees, sold=tier.sold)  # fmt: skip
        except Invalid as exc:
            problems.append(f"“{tier.name}”: {exc}")
        prices.append(price)
    if problems:
        raise Invalid(*problems)
    for tier, price in zip(tiers, prices, strict=True):
        tier.currency, tier.price_minor = currency, price
    event.currency = currency
