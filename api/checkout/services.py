"""Starting a checkout: validate the form, then take the seats and write the order in one
committed statement (api/checkout/placement.py), then (for paid tickets) open a Stripe Checkout
Session as a destination charge.

Free tickets never touch Stripe: the order is written paid, with its passes and confirmation
email, by that same statement. Paid tickets are held for the session's 30 minutes; the webhook
(or the passes page confirming with Stripe) turns the hold into a sale.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import codes, fulfilment, placement
from api.checkout.attendees import Ticket
from api.checkout.gate import SaleGate
from api.db import Event, Order, TicketTier, utcnow
from api.events.services import TierState, tier_state
from api.formatting import when
from api.i18n.context import default_to as default_language_to
from api.mail.addresses import deliverable
from api.payments.gateway import LineItem, PaymentsUnavailable, StripeGateway
from api.settings import Settings

log = logging.getLogger(__name__)
HOLD_FOR = timedelta(minutes=30)
# Stripe refuses an `expires_at` less than 30 minutes after the session's creation; the request
# leaves a moment after the hold starts, so the session is given one spare minute.
SESSION_MARGIN = timedelta(minutes=1)
# ASCII digits only: str.isdigit() also says yes to "²" (int() then raises) and to "٣" (3),
# and a few thousand digits make int() raise too.
_QUANTITY = re.compile(r"[0-9]{1,9}")
_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")


class CheckoutError(Exception):
    """The form cannot be accepted; the message says why, in words for the buyer."""


class TierSoldOut(CheckoutError):
    """The database refused the order: `refused` maps each tier that could not seat its line
    to the quantity it refused (the caller's event snapshot remembers it: EventCache)."""

    def __init__(self, message: str, refused: dict[uuid.UUID, int]) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass
class CheckoutForm:
    quantities: dict[uuid.UUID, int]
    email: str
    name: str = ""
    source_site: str | None = None
    partner_site_id: uuid.UUID | None = None
    """The partner site whose embed the form came from (api/partners/)."""
    client: str | None = None
    """The buyer's address key (api.web.ratelimit.client_key): unpaid holds are capped by it."""
    code: str = ""
    """A discount or access code typed on the event page (api/checkout/codes.py)."""
    applied: codes.Applied | None = None
    looked_up: bool = False
    """Whether `applied` is the code already found (and `code` not to be looked up again)."""
    errors: list[str] = field(default_factory=list)
    attendees: list[Ticket] = field(default_factory=list)
    """Each ticket's attendee details, when the event asks any (api/checkout/attendees.py)."""


@dataclass(frozen=True)
class Started:
    order: Order
    redirect_url: str


def paid_tiers_unavailable(event: Event, settings: Settings) -> str | None:
    """Why paid tiers of this event cannot be bought right now, or None."""
    if not settings.stripe_enabled:
        return "Card payments are not configured on this site yet."
    if not event.organizer.stripe_account_id or not event.organizer.charges_enabled:
        return "The organizer cannot take card payments yet."
    if event.currency not in settings.fees:  # the operator dropped its fee (PLATFORM_FEES)
        return f"Tickets in {event.currency} are not sold on this site any more."
    return None


def clean_source_site(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value if _SOURCE.match(value) else None


def parse_quantity(raw: str, *, tier: TicketTier) -> int:
    text = raw.strip() or "0"
    if not _QUANTITY.fullmatch(text):
        raise CheckoutError(f"Quantity for {tier.name} must be a whole number.")
    quantity = int(text)
    if quantity > tier.max_per_order:
        raise CheckoutError(f"At most {tier.max_per_order} {tier.name} tickets per order.")
    return quantity


async def start_checkout(
    session: AsyncSession,
    *,
    event: Event,
    form: CheckoutForm,
    settings: Settings,
    gateway: StripeGateway | None,
    gate: SaleGate | None = None,
) -> Started:
    """`gate`: this process's turn at the event's sale statement and what the database refused
    moments ago (api/checkout/gate.py); a checkout asking as many or more is refused at once."""
    if event.cancelled_at is not None:  # api/events/cancellation.py: sales stop at once
        raise CheckoutError("This event is cancelled: no tickets are sold.")
    email = form.email.strip().lower()
    if not deliverable(email):
        raise CheckoutError("Enter a valid email address: your tickets are sent there.")
    if any(ch in form.name for ch in "\r\n\x00") or len(form.name) > 200:
        raise CheckoutError("The name contains characters we cannot use.")
    code = form.applied if form.looked_up else await _code(session, event=event, raw=form.code)
    tiers = {tier.id: tier for tier in event.tiers if codes.visible(tier, code)}
    wanted = [(tiers[tid], q) for tid, q in form.quantities.items() if q > 0 and tid in tiers]
    if not wanted:
        raise CheckoutError("Choose at least one ticket.")
    now = utcnow()
    for tier, quantity in wanted:
        # Decided from the snapshot's times now, before the statement (api/events/services.py).
        state = tier_state(tier, event=event, now=now)
        if state is TierState.ended:
            raise CheckoutError(f"Sales have ended for {tier.name}.")
        if state is TierState.not_yet:
            assert tier.sales_start is not None
            opens = when(tier.sales_start, event.timezone)
            raise CheckoutError(f"Sales for {tier.name} open at {opens}.")
        if tier.available < quantity or (gate is not None and gate.refuses(tier.id, quantity)):
            # Sold out a moment ago already: answered without a round trip to the database.
            raise CheckoutError(f"Sold out: not enough {tier.name} tickets left.")
    fee_each = settings.fees.get(event.currency, 0)  # its own minor units (PLATFORM_FEES)
    prices = {tier.id: codes.unit_price(tier, code, fee_minor=fee_each) for tier, _ in wanted}
    paid = [(tier, q) for tier, q in wanted if prices[tier.id] > 0]
    if paid:
        reason = paid_tiers_unavailable(event, settings)
        if reason or gateway is None:
            raise CheckoutError(reason or "Card payments are not configured on this site yet.")
        currencies = {tier.currency for tier, _ in paid}
        if len(currencies) > 1:
            raise CheckoutError("Tickets in different currencies must be bought separately.")

    default_language_to(event.default_language)  # the order's language when the browser named none
    order = Order(
        public_id=secrets.token_urlsafe(16),
        event_id=event.id,
        buyer_email=email,
        buyer_name=form.name.strip(),
        currency=event.currency,
        total_minor=sum(prices[tier.id] * q for tier, q in wanted),
        fee_minor=fee_each * sum(q for _, q in paid),
        discount_minor=sum((tier.price_minor - prices[tier.id]) * q for tier, q in wanted),
        code_id=code.id if code and _uses(code, wanted, prices) else None,
        source_site=clean_source_site(form.source_site),
        partner_site_id=form.partner_site_id,
        hold_expires_at=now + HOLD_FOR + SESSION_MARGIN if paid else None,
    )
    lines = [
        placement.Line(tier.id, tier.name, prices[tier.id], quantity) for tier, quantity in wanted
    ]
    try:
        async with gate.turn if gate is not None else contextlib.nullcontext():
            try:
                if gate is not None and (
                    full := {t.id for t, q in wanted if gate.refuses(t.id, q)}
                ):
                    # Refused while this checkout waited for its turn.
                    raise placement.SoldOut([line for line in lines if line.tier_id in full])
                await placement.place(
                    session,
                    order=order,
                    lines=lines,
                    free=not paid,
                    secret_key=settings.secret_key,
                    client=form.client,
                    details=form.attendees,
                )
            except placement.SoldOut as exc:
                refused = {line.tier_id: line.quantity for line in exc.lines}
                if gate is not None:
                    gate.note_refused(refused)
                names = " or ".join(exc.tier_names)
                raise TierSoldOut(f"Sold out: not enough {names} tickets left.", refused) from exc
    except placement.OverHoldCap as exc:
        raise CheckoutError(_over_cap_message(exc, email=email)) from exc
    except placement.CodeUsedUp as exc:
        raise CheckoutError(codes.used_up_message(code.code if code else "")) from exc
    base = settings.base_url.rstrip("/")
    passes_url = f"{base}/passes/{order.public_id}"
    if not paid:
        # Same origin as the form, whatever name the buyer opened it by: an absolute BASE_URL
        # link (http://127.0.0.1 when the page was opened as localhost, say) is another origin,
        # which the page's CSP `form-action` refuses to follow.
        return Started(order=order, redirect_url=f"/passes/{order.public_id}")
    assert gateway is not None
    assert event.organizer.stripe_account_id
    try:
        checkout = await gateway.create_checkout_session(
            order_id=str(order.id),
            lines=[
                LineItem(
                    name=f"{event.name} — {tier.name}", unit_amount=prices[tier.id], quantity=q
                )
                for tier, q in paid
            ],
            currency=order.currency,
            application_fee=order.fee_minor,
            destination=event.organizer.stripe_account_id,
            email=email,
            expires_at=order.hold_expires_at or now + HOLD_FOR + SESSION_MARGIN,
            success_url=f"{passes_url}?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{passes_url}/cancel",
        )
    except PaymentsUnavailable as exc:
        log.warning("checkout session for order %s failed: %s", order.id, exc)
        await fulfilment.cancel(session, order_id=order.id)
        await session.commit()
        raise CheckoutError(
            "We could not reach the payment provider, so nothing was charged. Please try again."
        ) from exc
    order.stripe_checkout_session_id = checkout.id
    await session.execute(
        update(Order).where(Order.id == order.id).values(stripe_checkout_session_id=checkout.id)
    )
    await session.commit()
    return Started(order=order, redirect_url=checkout.url)


async def _code(session: AsyncSession, *, event: Event, raw: str) -> codes.Applied | None:
    """The code typed with the order, if any; a CheckoutError saying why when it is refused."""
    if not codes.normalize(raw):
        return None
    reading = not session.in_transaction()
    try:
        return await codes.find(session, event_id=event.id, raw=raw, zone=event.timezone)
    except codes.CodeRefused as exc:
        raise CheckoutError(str(exc)) from exc
    finally:
        if reading:  # ends the read, so the order's statement still runs in autocommit
            await session.commit()


def _uses(
    code: codes.Applied, wanted: list[tuple[TicketTier, int]], prices: dict[uuid.UUID, int]
) -> bool:
    """Whether the order uses the code: it lowers a price or unlocks a hidden tier of it (an
    order it changes nothing for does not spend one of its uses)."""
    return any(prices[t.id] != t.price_minor or code.unlocks(t) for t, _ in wanted)


def _over_cap_message(exc: placement.OverHoldCap, *, email: str) -> str:
    who = "your connection" if exc.holder.startswith("ip:") else email
    return (
        f"Too many tickets are waiting for payment from {who}: at most {exc.cap} at a time."
        " Finish or cancel the checkout you started (an unpaid one is released after"
        f" {HOLD_FOR.seconds // 60} minutes), then try again."
    )
