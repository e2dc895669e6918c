"""The life of an order after checkout, one function per transition.

Each function locks the order row first (SELECT … FOR UPDATE), looks at its status, and does
nothing when the transition has already happened, so the webhook, the passes page confirming
with Stripe, and Stripe's retries can all call them in any order and any number of times.
Every pass voided or reinstated becomes a server change that door scanners pull.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import codes, holds
from api.checkout.attendees import link_passes
from api.db import Order, OrderLine, OrderStatus, OutboxMessage, Pass, PassStatus, utcnow
from api.outgoing import hooks as outgoing
from api.passes import lineage
from api.passes import services as passes
from api.passes.tokens import pass_key_text
from api.settings import Settings

HOLDING = {OrderStatus.pending}


async def locked_order(session: AsyncSession, *, order_id: uuid.UUID) -> Order | None:
    return await session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _lines(session: AsyncSession, order: Order) -> list[OrderLine]:
    return list(await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))


def _outbox(session: AsyncSession, kind: str, **payload: str) -> None:
    session.add(OutboxMessage(kind=kind, payload=payload, available_at=utcnow()))


async def _issue(session: AsyncSession, order: Order, settings: Settings) -> None:
    """The order is paid: its passes, their sync changes and its confirmation email, by the
    statement a free checkout runs too (api.passes.services.ISSUE)."""
    lines = [(line.tier_id, line.quantity) for line in await _lines(session, order)]
    await passes.issue(session, order=order, lines=lines, secret_key=settings.secret_key)
    await link_passes(session, order_id=order.id)
    order.status = OrderStatus.paid
    order.paid_at = utcnow()
    order.hold_expires_at = None
    await session.flush()
    await outgoing.order_paid(session, order_id=order.id, event_id=order.event_id)


async def fulfil(
    session: AsyncSession,
    *,
    order: Order,
    settings: Settings,
    payment_intent: str | None = None,
) -> str:
    """Payment confirmed: the hold becomes a sale and the passes are issued (once).

    A payment that completes after its hold expired (a slow 3-D Secure, a late bank transfer)
    still gets its tickets when capacity allows; otherwise it is refunded automatically.
    Returns what happened: `fulfilled`, `already`, `late_fulfilled`, `late_refund`, `refunded`.
    """
    locked = await locked_order(session, order_id=order.id)
    assert locked is not None
    if payment_intent and not locked.stripe_payment_intent_id:
        locked.stripe_payment_intent_id = payment_intent
    if locked.status == OrderStatus.pending:
        lines = await _lines(session, locked)
        for line in lines:
            await holds.convert(session, tier_id=line.tier_id, quantity=line.quantity)
        await holds.give_back(session, order=locked, seats=sum(ln.quantity for ln in lines))
        await _issue(session, locked, settings)
        return "fulfilled"
    if locked.status in (OrderStatus.expired, OrderStatus.cancelled):
        if locked.refunded_minor > 0:
            return "refunded"
        async with session.begin_nested() as savepoint:
            fits = True
            for line in await _lines(session, locked):
                if not await holds.sell_directly(
                    session, tier_id=line.tier_id, quantity=line.quantity
                ):
                    fits = False
                    break
            if not fits:
                await savepoint.rollback()
        if fits:
            await codes.retake(session, order=locked)
            await _issue(session, locked, settings)
            return "late_fulfilled"
        locked.status = OrderStatus.cancelled
        if locked.stripe_payment_intent_id:
            _outbox(
                session,
                "stripe_refund",
                order_id=str(locked.id),
                payment_intent=locked.stripe_payment_intent_id,
                reason="sold_out_after_hold_expired",
            )
        return "late_refund"
    return "already" if locked.status != OrderStatus.refunded else "refunded"


async def _release_holds(session: AsyncSession, order: Order) -> None:
    lines = await _lines(session, order)
    for line in lines:
        await holds.release(session, tier_id=line.tier_id, quantity=line.quantity)
    await holds.give_back(session, order=order, seats=sum(line.quantity for line in lines))
    await codes.give_back(session, order=order)


async def _end_hold(session: AsyncSession, order_id: uuid.UUID, status: OrderStatus) -> bool:
    order = await locked_order(session, order_id=order_id)
    if order is None or order.status != OrderStatus.pending:
        return False
    # The new status first: the waiting list the release wakes sees this checkout ended (an
    # offer it was buying is held for its buyer again, api/waiting/offers.py).
    order.status = status
    order.hold_expires_at = None
    await _release_holds(session, order)
    return True


async def expire(session: AsyncSession, *, order_id: uuid.UUID) -> bool:
    """The Checkout Session expired (or payment failed): release the hold."""
    return await _end_hold(session, order_id, OrderStatus.expired)


async def cancel(session: AsyncSession, *, order_id: uuid.UUID) -> bool:
    """The session could not even be created: release the hold, nothing was charged."""
    return await _end_hold(session, order_id, OrderStatus.cancelled)


async def _void(session: AsyncSession, items: Iterable[Pass], reason: str) -> int:
    changed = await passes.set_status(
        session, passes=list(items), status=PassStatus.void, reason=reason
    )
    for tier_id, count in Counter(p.tier_id for p in changed).items():
        await holds.unsell(session, tier_id=tier_id, quantity=count)
    return len(changed)


async def order_pass_list(session: AsyncSession, order: Order) -> list[Pass]:
    return await passes.order_passes(session, order_id=order.id)


async def refunded(
    session: AsyncSession,
    *,
    order_id: uuid.UUID,
    amount_refunded: int,
    full: bool,
    pass_ids: Iterable[str] = (),
) -> str:
    """Stripe says this much of the order's charge is refunded (whoever started it).

    Full: every pass is voided and its seat goes back on sale. Partial: the passes named in the
    refund's metadata are voided; with none named, the money is recorded and the organizer
    chooses which passes to void.
    """
    order = await locked_order(session, order_id=order_id)
    if order is None:
        return "unknown_order"
    before = (order.refunded_minor, order.status)
    order.refunded_minor = min(max(order.refunded_minor, amount_refunded), order.total_minor)
    _outbox(session, "refund_notice", order_id=str(order.id))
    result = await _refunded(session, order, full=full, pass_ids=pass_ids)
    if (order.refunded_minor, order.status) != before:  # Stripe reports a refund more than once
        await outgoing.order_refunded(session, order=order, full=full)
    return result


async def _refunded(
    session: AsyncSession, order: Order, *, full: bool, pass_ids: Iterable[str]
) -> str:
    if order.status == OrderStatus.pending:
        # The refund overtook the completion: nothing was issued; free the held seats.
        await _release_holds(session, order)
        order.status = OrderStatus.refunded
        order.hold_expires_at = None
        return "refunded_before_completion"
    items = await order_pass_list(session, order)
    if full:  # with the passes issued in place of its own by transfers (api/passes/lineage.py)
        every = await lineage.with_passed_on(session, items)
        await _void(session, (p for p in every if p.status == PassStatus.valid), "refunded")
        order.status = OrderStatus.refunded
        return "refunded"
    named = set(pass_ids)
    chosen = await lineage.with_passed_on(
        session, [p for p in items if pass_key_text(p.pass_key) in named]
    )
    await _void(session, chosen, "refunded")
    if all(p.status == PassStatus.void for p in items):
        order.status = OrderStatus.refunded
    elif order.status != OrderStatus.disputed:
        order.status = OrderStatus.partially_refunded
    return "partially_refunded"


async def unit_prices(session: AsyncSession, order: Order) -> dict[uuid.UUID, int]:
    return {line.tier_id: line.unit_price_minor for line in await _lines(session, order)}


async def void_free(
    session: AsyncSession, *, order_id: uuid.UUID, items: list[Pass], reason: str = "cancelled"
) -> None:
    """Voids that move no money, so Stripe is never asked (it refuses a refund of 0): free
    passes an organizer "refunds" (in a free order or a paid one), and passes voided without a
    refund (`reason="voided"`). Seats go back on sale and the door learns at its next pull, as
    after a refund. A free order left with no valid pass is cancelled; a paid order's status
    keeps saying where its money stands."""
    order = await locked_order(session, order_id=order_id)
    if order is None:
        return
    await _void(session, items, reason)
    remaining = [p for p in await order_pass_list(session, order) if p.status == PassStatus.valid]
    if not remaining and order.total_minor == 0:
        order.status = OrderStatus.cancelled


async def dispute_opened(session: AsyncSession, *, order_id: uuid.UUID) -> bool:
    order = await locked_order(session, order_id=order_id)
    if order is None:
        return False
    items = await lineage.with_passed_on(session, await order_pass_list(session, order))
    await _void(session, (p for p in items if p.status == PassStatus.valid), "disputed")
    if order.status != OrderStatus.refunded:
        order.status = OrderStatus.disputed
    return True


async def dispute_closed(session: AsyncSession, *, order_id: uuid.UUID, won: bool) -> bool:
    """Won: the passes voided for the dispute are valid again (seats permitting). Lost: the
    money went back to the cardholder; the passes stay void."""
    order = await locked_order(session, order_id=order_id)
    if order is None:
        return False
    if not won:
        order.status = OrderStatus.refunded
        return True
    own = await order_pass_list(session, order)
    items = [p for p in await lineage.with_passed_on(session, own) if p.void_reason == "disputed"]
    back = []
    for tier_id, group in _by_tier(items).items():
        if await holds.resell(session, tier_id=tier_id, quantity=len(group)):
            back.extend(group)
    await passes.set_status(session, passes=back, status=PassStatus.valid, reason="dispute_won")
    order.status = OrderStatus.paid if order.refunded_minor == 0 else OrderStatus.partially_refunded
    return True


def _by_tier(items: Iterable[Pass]) -> dict[uuid.UUID, list[Pass]]:
    groups: dict[uuid.UUID, list[Pass]] = {}
    for item in items:
        groups.setdefault(item.tier_id, []).append(item)
    return groups
