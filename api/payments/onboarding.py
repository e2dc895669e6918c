"""Stripe Connect onboarding: an organizer gets a connected account (made on the first ask,
audited) and an Account Link to Stripe's onboarding pages. Stripe sends the browser back to
`/stripe/return` or, when a link expired or was used, `/stripe/refresh` (`api.admin.onboarding`);
`account.updated` webhooks keep `charges_enabled` current after that, and selling is gated on it.
Both also copy the currencies the account settles in (`Organizer.stripe_currencies`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import Organizer
from api.errors import NotFound, Refused, Unavailable
from api.payments.gateway import PaymentsUnavailable, StripeGateway

log = logging.getLogger(__name__)


async def onboarding_link(
    db: AsyncSession,
    gateway: StripeGateway | None,
    *,
    organizer: Organizer,
    base_url: str,
    actor: str,
) -> str:
    """Where to send the organizer's people to onboard with Stripe (or carry on onboarding)."""
    if gateway is None:
        raise Refused("Stripe is not configured on this site.")
    base = base_url.rstrip("/")
    try:
        if not organizer.stripe_account_id:
            organizer.stripe_account_id = await gateway.create_account(
                email=organizer.contact_email, organizer_id=str(organizer.id)
            )
            audit.record(
                db, organizer_id=organizer.id, actor=actor, action="stripe.account_created",
                target=organizer.stripe_account_id,
            )  # fmt: skip
            await db.commit()
        return await gateway.onboarding_link(
            account=organizer.stripe_account_id,
            refresh_url=f"{base}/stripe/refresh?organizer={organizer.id}",
            return_url=f"{base}/stripe/return?organizer={organizer.id}",
        )
    except PaymentsUnavailable as exc:
        raise Unavailable(f"Stripe refused: {exc}") from exc


async def refresh_charges(
    db: AsyncSession, gateway: StripeGateway | None, *, organizer: Organizer
) -> bool:
    """Copy Stripe's own answer to "may this organizer take payments?" now, with the currencies
    the account settles in (what its events may sell in, `api.events.currency`); returns it."""
    if not organizer.stripe_account_id or gateway is None:
        raise NotFound("No onboarding in progress for this organizer.")
    try:
        facts = await gateway.account_facts(organizer.stripe_account_id)
    except PaymentsUnavailable as exc:
        raise Unavailable(f"Stripe refused: {exc}") from exc
    organizer.charges_enabled = facts.charges_enabled
    if facts.currencies:
        organizer.stripe_currencies = facts.currencies
    await db.commit()
    return organizer.charges_enabled


async def account_updated(
    db: AsyncSession, gateway: StripeGateway | None, *, account: str, charges_enabled: bool
) -> bool:
    """`account.updated`: the account's `charges_enabled` as the event says, and its currencies
    as Stripe says now (kept as they were when Stripe does not answer: the event is not retried
    for them). False when no organizer has this account."""
    organizer = await db.scalar(
        select(Organizer).where(Organizer.stripe_account_id == account).with_for_update()
    )
    if organizer is None:
        return False
    organizer.charges_enabled = charges_enabled
    if gateway is not None:
        try:
            facts = await gateway.account_facts(account)
        except PaymentsUnavailable as exc:
            log.warning("account.updated: currencies of %s not refreshed: %s", account, exc)
        else:
            if facts.currencies:
                organizer.stripe_currencies = facts.currencies
    return True
