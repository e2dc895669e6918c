"""Stripe Connect onboarding: an organizer gets a connected account (made on the first ask,
audited) and an Account Link to Stripe's onboarding pages. Stripe sends the browser back to
`/stripe/return` or, when a link expired or was used, `/stripe/refresh` (`api.admin.onboarding`);
`account.updated` webhooks keep `charges_enabled` current after that, and selling is gated on it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import Organizer
from api.errors import NotFound, Refused, Unavailable
from api.payments.gateway import PaymentsUnavailable, StripeGateway


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
    """Copy Stripe's own answer to "may this organizer take payments?" now; returns it."""
    if not organizer.stripe_account_id or gateway is None:
        raise NotFound("No onboarding in progress for this organizer.")
    try:
        organizer.charges_enabled = await gateway.account_charges_enabled(
            organizer.stripe_account_id
        )
    except PaymentsUnavailable as exc:
        raise Unavailable(f"Stripe refused: {exc}") from exc
    await db.commit()
    return organizer.charges_enabled
