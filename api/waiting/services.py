"""A buyer's side of a waiting list: joining it, and buying through an offer.

Joining takes the tier's row first (as every path of `api.waiting.offers` does), so a join and
seats coming back at the same moment cannot miss each other. It is refused while the tier has
the seats asked for on sale (buy them instead).

Claiming an offer turns its held seats into the order's, in one transaction: the offer's seats
leave `held`, and the order is placed by the same statement every checkout uses
(`api.checkout.placement`), which takes them again at once (the tier's row stays locked
between the two, so nobody else can). A free offer is then sold at once, passes and email
included; a paid one is held for its Stripe Checkout Session and the webhook sells it, like any
paid checkout. If Stripe cannot be reached the seats go back to being the entry's offer.

A claim is a checkout of the offer's seats, so it takes what the event page's checkout takes: a
discount or access code (`api.checkout.codes`: the price, the fee and the code's use follow the
same rules, the use taken by the same placement statement) and, when the event asks them, each
ticket's attendee details (the pages ask them through `api.checkout.details_step`; they are
kept with the order by `placement.place` as for any order).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api.checkout import codes, fulfilment, holds, placement
from api.checkout.attendees import Ticket
from api.checkout.services import (
    HOLD_FOR,
    SESSION_MARGIN,
    CheckoutError,
    paid_tiers_unavailable,
    parse_quantity,
)
from api.checkout.services import _uses as uses_code
from api.db import (
    Event,
    Order,
    OrderStatus,
    OutboxMessage,
    TicketTier,
    WaitingEntry,
    WaitingStatus,
    utcnow,
    uuid7,
)
from api.db.waiting import ACTIVE
from api.events.services import TierState, tier_state
from api.mail.addresses import deliverable
from api.payments.gateway import LineItem, PaymentsUnavailable, StripeGateway
from api.settings import Settings
from api.waiting import offers

log = logging.getLogger(__name__)

SOURCE = "waiting"
"""`Order.source` of an order bought through a waiting-list offer (the exports show it)."""


class WaitingError(Exception):
    """The buyer's request cannot be done; the message says why, in words for the buyer."""


@dataclass(frozen=True)
class Joined:
    entry_id: uuid.UUID
    email: str
    quantity: int


def _clean_email(raw: str) -> str:
    email = raw.strip().lower()
    if not deliverable(email):
        raise WaitingError("Enter a valid email address: the offer is sent there.")
    return email


def _clean_name(raw: str) -> str:
    if any(ch in raw for ch in "\r\n\x00") or len(raw) > 200:
        raise WaitingError("The name contains characters we cannot use.")
    return raw.strip()


def _quantity(raw: str, tier: TicketTier) -> int:
    try:
        quantity = parse_quantity(raw or "1", tier=tier)
    except CheckoutError as exc:
        raise WaitingError(str(exc)) from exc
    if quantity < 1:
        raise WaitingError("Ask for at least one ticket.")
    return quantity


async def join(
    session: AsyncSession, *, event: Event, tier: TicketTier, email: str, name: str,
    quantity: str,
) -> Joined:  # fmt: skip
    """Put a buyer on the tier's waiting list (once per email while in line or offered) and
    queue their confirmation; the caller commits."""
    address, who, seats = _clean_email(email), _clean_name(name), _quantity(quantity, tier)
    state = tier_state(tier, event=event)
    if event.cancelled_at is not None:
        raise WaitingError("This event is cancelled.")
    if state is TierState.ended:
        raise WaitingError(f"Sales have ended for {tier.name}.")
    if state is TierState.not_yet:
        raise WaitingError(f"{tier.name} is not on sale yet.")
    if not (await offers.settings_of(session, tier_id=tier.id)).open:
        raise WaitingError(f"{tier.name} has no waiting list.")
    locked = await offers.lock_tier(session, tier.id)
    if locked is None:
        raise WaitingError("This tier is no longer sold.")
    if locked.free >= seats:
        raise WaitingError(
            f"{tier.name} has {locked.free} ticket{'s' if locked.free != 1 else ''} on sale"
            " right now: buy them on the event page."
        )
    existing = await session.scalar(
        select(WaitingEntry).where(
            WaitingEntry.tier_id == tier.id,
            WaitingEntry.email == address,
            WaitingEntry.status.in_([str(s) for s in ACTIVE]),
        )
    )
    if existing is not None:  # the same answer, and no second email
        return Joined(existing.id, address, existing.quantity)
    entry = WaitingEntry(
        event_id=event.id, tier_id=tier.id, email=address, name=who, quantity=seats,
        status=WaitingStatus.waiting,
    )  # fmt: skip
    session.add(entry)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # the same email joined in a concurrent request
        return Joined(uuid.UUID(int=0), address, seats)
    session.add(
        OutboxMessage(kind=offers.JOINED_KIND, payload={"entry_id": str(entry.id)},
                      available_at=utcnow())
    )  # fmt: skip
    # Seats free now but fewer than asked: those ahead in line that they fit are offered them.
    await offers.seats_freed(session, tier_id=tier.id)
    return Joined(entry.id, address, seats)


async def entry_by_token(session: AsyncSession, *, token: str) -> WaitingEntry | None:
    """The entry an offer link names, with its event, organizer and tier loaded."""
    return await session.scalar(
        select(WaitingEntry)
        .where(WaitingEntry.offer_token == token)
        .execution_options(populate_existing=True)
    )


async def entry_context(session: AsyncSession, entry: WaitingEntry) -> tuple[Event, TicketTier]:
    event = await session.scalar(
        select(Event)
        .where(Event.id == entry.event_id)
        .options(selectinload(Event.organizer), selectinload(Event.tiers))
    )
    tier = await session.get(TicketTier, entry.tier_id, populate_existing=True)
    assert event is not None
    assert tier is not None
    return event, tier


def offer_open(entry: WaitingEntry) -> bool:
    return (
        entry.status == WaitingStatus.offered
        and entry.offer_expires_at is not None
        and entry.offer_expires_at > utcnow()
    )


@dataclass(frozen=True)
class Claimed:
    redirect_url: str
    order_public_id: str


async def offer_code(session: AsyncSession, *, event: Event, raw: str) -> codes.Applied | None:
    """The code typed with a claim, if any (the checkout's rule, api/checkout/codes.py)."""
    if not codes.normalize(raw):
        return None
    try:
        return await codes.find(session, event_id=event.id, raw=raw, zone=event.timezone)
    except codes.CodeRefused as exc:
        raise WaitingError(str(exc)) from exc


async def claim(
    session: AsyncSession, *, token: str, settings: Settings, gateway: StripeGateway | None,
    client: str | None, code: str = "", tickets: list[Ticket] | None = None,
) -> Claimed:  # fmt: skip
    """Buy the seats an offer holds (see the module's docstring), with the `code` typed (if
    any) and each ticket's attendee details (`tickets`, when the event asks any)."""
    entry = await entry_by_token(session, token=token)
    if entry is None:
        raise WaitingError("No offer at this link. Check the link in your email.")
    if entry.status == WaitingStatus.claimed and entry.order_id is not None:
        order = await session.get(Order, entry.order_id)
        assert order is not None
        return Claimed(f"/passes/{order.public_id}", order.public_id)
    if not offer_open(entry):
        raise WaitingError("This offer has ended: its seats went to the next person in line.")
    event, tier = await entry_context(session, entry)
    if event.cancelled_at is not None:
        raise WaitingError("This event is cancelled: nothing is sold.")
    applied = await offer_code(session, event=event, raw=code)
    fee_each = settings.fees.get(event.currency, 0)
    price = codes.unit_price(tier, applied, fee_minor=fee_each)
    used = applied is not None and uses_code(applied, [(tier, entry.quantity)], {tier.id: price})
    paid = price > 0
    if paid:
        reason = paid_tiers_unavailable(event, settings)
        if reason or gateway is None:
            raise WaitingError(reason or "Card payments are not configured on this site yet.")
    # Plain values: the rollback below expires every object the session holds.
    entry_id, tier_id, quantity, email, now = (
        entry.id,
        tier.id,
        entry.quantity,
        entry.email,
        utcnow(),
    )
    line = placement.Line(tier_id, tier.name, price, quantity)
    item = LineItem(name=f"{event.name} — {tier.name}", unit_amount=price, quantity=quantity)
    destination = event.organizer.stripe_account_id
    order = Order(
        id=uuid7(),
        public_id=secrets.token_urlsafe(16),
        event_id=event.id,
        buyer_email=email,
        buyer_name=entry.name,
        currency=event.currency,
        total_minor=price * quantity,
        fee_minor=fee_each * quantity if paid else 0,
        discount_minor=(tier.price_minor - price) * quantity,
        code_id=applied.id if applied and used else None,
        source=SOURCE,
        hold_expires_at=now + HOLD_FOR + SESSION_MARGIN if paid else None,
    )
    order_id, public_id, currency = order.id, order.public_id, order.currency
    fee, hold_ends = order.fee_minor, order.hold_expires_at
    await session.rollback()  # the reads above end; the claim is one transaction from here
    await offers.lock_tier(session, tier_id)
    locked = await offers.locked_entry(session, entry_id)
    if locked is None or not offer_open(locked):
        await session.rollback()
        raise WaitingError("This offer has ended: its seats went to the next person in line.")
    await offers.unhold(session, tier_id, quantity)
    locked.status = WaitingStatus.claimed
    locked.order_id = order_id
    locked.ended_at = now
    try:
        await placement.place(
            session, order=order, lines=[line], free=not paid, secret_key=settings.secret_key,
            client=client, details=tickets or (),
        )  # fmt: skip
    except placement.SoldOut as exc:  # cannot happen while the offer held them; said plainly
        raise WaitingError("These seats are no longer free.") from exc
    except placement.OverHoldCap as exc:
        raise WaitingError(
            f"Too many tickets are waiting for payment from this address: at most {exc.cap}"
            " at a time. Finish or cancel the checkout you started, then use this link again."
        ) from exc
    except placement.CodeUsedUp as exc:  # the offer stays open: the statement wrote nothing
        raise WaitingError(codes.used_up_message(applied.code if applied else "")) from exc
    if not paid:
        return Claimed(f"/passes/{public_id}", public_id)
    assert gateway is not None
    assert destination
    passes_url = f"{settings.base_url.rstrip('/')}/passes/{public_id}"
    try:
        checkout = await gateway.create_checkout_session(
            order_id=str(order_id),
            lines=[item],
            currency=currency,
            application_fee=fee,
            destination=destination,
            email=email,
            expires_at=hold_ends or now + HOLD_FOR + SESSION_MARGIN,
            success_url=f"{passes_url}?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{passes_url}/cancel",
        )
    except PaymentsUnavailable as exc:
        log.warning("checkout session for waiting-list order %s failed: %s", order_id, exc)
        await _unclaim(session, order_id=order_id, entry_id=entry_id, tier_id=tier_id)
        raise WaitingError(
            "We could not reach the payment provider, so nothing was charged. Your seats are"
            " still held for you: please try again."
        ) from exc
    await session.execute(
        update(Order).where(Order.id == order_id).values(stripe_checkout_session_id=checkout.id)
    )
    await session.commit()
    return Claimed(checkout.url, public_id)


async def _unclaim(
    session: AsyncSession, *, order_id: uuid.UUID, entry_id: uuid.UUID, tier_id: uuid.UUID
) -> None:
    """No Checkout Session could be opened: the order is cancelled and its held seats are the
    entry's offer again (they never leave `held`, so nobody else can take them meanwhile)."""
    await session.rollback()
    # The order, then the tier, as every end of a hold takes them (fulfilment._end_hold).
    order = await fulfilment.locked_order(session, order_id=order_id)
    await offers.lock_tier(session, tier_id)
    entry = await offers.locked_entry(session, entry_id)
    if order is not None and order.status == OrderStatus.pending and entry is not None:
        seats = entry.quantity
        order.status = OrderStatus.cancelled
        order.hold_expires_at = None
        await holds.give_back(session, order=order, seats=seats)
        await codes.give_back(session, order=order)
        entry.status = WaitingStatus.offered
        entry.order_id = None
        entry.ended_at = None
    await session.commit()


async def held_seats(session: AsyncSession, *, tier_id: uuid.UUID) -> int:
    """Seats of the tier that offers hold now (for the organizer's page)."""
    found = await session.scalar(
        text(
            "SELECT coalesce(sum(quantity), 0) FROM waiting_entry"
            " WHERE tier_id = :t AND status = 'offered'"
        ),
        {"t": tier_id},
    )
    return int(found or 0)
