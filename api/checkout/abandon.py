"""The buyer came back through Stripe's `cancel_url`: the hold ends now, not in 30 minutes.

The Checkout Session is expired at Stripe first, so it can no longer be paid once its seats are
back on sale. Stripe refuses to expire a session that is not open; then the session is read, and
a paid one is fulfilled (paid in another tab a moment earlier) while an expired one is released.
If Stripe cannot be reached, the hold is kept: it ends with the session (webhook or sweep), and
a seat is never put back on sale while it can still be paid for.

The link carries the order's unguessable public id, so only the buyer who started the checkout
can end it, and each step is idempotent: a second visit finds the order no longer pending.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import fulfilment
from api.db import Order, OrderStatus
from api.payments.gateway import CheckoutSession, PaymentsUnavailable, StripeGateway
from api.settings import Settings

log = logging.getLogger(__name__)


class Abandoned(StrEnum):
    released = "released"
    """The session is expired and the seats are back on sale."""
    paid = "paid"
    """The session had been paid after all: the order is fulfilled."""
    kept = "kept"
    """Stripe could not say; the hold ends with the session."""
    not_pending = "not_pending"
    """Nothing was held any more (already released, paid or cancelled)."""


async def abandon_checkout(
    session: AsyncSession, *, order: Order, settings: Settings, gateway: StripeGateway | None
) -> Abandoned:
    if order.status != OrderStatus.pending or not order.stripe_checkout_session_id:
        return Abandoned.not_pending
    checkout = await _expired_or_current(gateway, order.stripe_checkout_session_id)
    if checkout is None:
        return Abandoned.kept
    if checkout.payment_status in ("paid", "no_payment_required"):
        await fulfilment.fulfil(
            session, order=order, settings=settings, payment_intent=checkout.payment_intent
        )
        await session.commit()
        return Abandoned.paid
    if checkout.status != "expired":
        return Abandoned.kept  # complete, with a payment still being processed
    await fulfilment.expire(session, order_id=order.id)
    await session.commit()
    return Abandoned.released


async def _expired_or_current(
    gateway: StripeGateway | None, session_id: str
) -> CheckoutSession | None:
    if gateway is None:
        return None
    try:
        return await gateway.expire_checkout_session(session_id)
    except PaymentsUnavailable as refused:
        try:
            return await gateway.retrieve_checkout_session(session_id)
        except PaymentsUnavailable as exc:
            log.warning("cancelled checkout %s kept its hold: %s (%s)", session_id, refused, exc)
            return None
