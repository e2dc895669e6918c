"""What a signed webhook claims, checked against what we stored before anything is applied.

A valid signature proves Stripe sent the event, not that it is about the order its metadata
names: metadata is whatever the creator of an object wrote (any integration on the platform
account, a restricted key, someone in the Stripe dashboard), and a leaked webhook secret would
let anyone write the rest. So a completion must name the order's own Checkout Session, amount
and currency, and a payment intent that Stripe itself says belongs to the order and transfers to
the organizer's account; a refund or dispute must be about the order's own payment intent; an
`account.updated` must come from the account it describes.

A mismatch is never applied. It is logged and sent to Sentry as an error (ids and field names
only, no amounts, emails or secrets), and the event is still recorded as processed, so Stripe
stops retrying something that can never become true.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sentry_sdk

from api.db import Order
from api.payments.gateway import IntentFacts

log = logging.getLogger(__name__)


class Mismatch(Exception):
    """The event disagrees with our records in `fields`; it must not be applied."""

    def __init__(self, fields: list[str], *, order_id: uuid.UUID | None = None) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields
        self.order_id = order_id


def alert(event: dict[str, Any], mismatch: Mismatch) -> None:
    about = f" for order {mismatch.order_id}" if mismatch.order_id else ""
    message = (
        f"Stripe event {event.get('id')} ({event.get('type')}) not applied{about}: "
        f"{', '.join(mismatch.fields)} do not match our records"
    )
    log.error(message)
    sentry_sdk.capture_message(message, level="error")


def session_fields(order: Order, session: dict[str, Any]) -> list[str]:
    """The fields of a Checkout Session event that disagree with the order."""
    wrong = []
    stored = order.stripe_checkout_session_id
    if not stored or session.get("id") != stored:
        wrong.append("checkout session id")
    if session.get("amount_total") != order.total_minor:
        wrong.append("amount_total")
    if str(session.get("currency") or "").upper() != order.currency:
        wrong.append("currency")
    intent = session.get("payment_intent")
    if order.stripe_payment_intent_id and intent != order.stripe_payment_intent_id:
        wrong.append("payment intent")
    return wrong


def intent_fields(facts: IntentFacts | None, *, order: Order, account: str | None) -> list[str]:
    """The ways Stripe's own record of a payment intent disagrees with the order."""
    if facts is None:
        return ["payment intent (Stripe has no such intent)"]
    wrong = []
    if facts.order_id != str(order.id):
        wrong.append("payment intent's order")
    if facts.amount != order.total_minor:
        wrong.append("payment intent amount")
    if facts.currency != order.currency:
        wrong.append("payment intent currency")
    if not account or facts.destination != account:
        wrong.append("connected account (transfer destination)")
    return wrong
