"""One sale writer: a free checkout and a paid order's fulfilment issue passes the same way.

Free orders used to issue their passes in the checkout's own SQL and paid orders through the
ORM, with a per-process cache of each event's signing key: after a key rotation, a process that
had sold before kept signing new passes with the retired key.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import fulfilment, services
from api.db import (
    Event,
    EventKey,
    Order,
    OrderLine,
    OrderStatus,
    OutboxMessage,
    Pass,
    PassChange,
    TicketTier,
)
from api.db.engine import create_engine, session_factory
from api.events.services import published_event
from api.passes import keys
from api.settings import Settings
from tests import factories


async def _free_sale(db: AsyncSession, settings: Settings, event: Event, tier: TicketTier) -> Order:
    page = await published_event(db, slug=event.slug)
    assert page is not None
    await db.commit()
    form = services.CheckoutForm(quantities={tier.id: 2}, email="ana@example.com")
    started = await services.start_checkout(
        db, event=page, form=form, settings=settings, gateway=None
    )
    return started.order


async def _written(db: AsyncSession, order_id: uuid.UUID) -> dict[str, Any]:
    """What issuing wrote for the order: passes, their changes, its confirmation job."""
    db.expire_all()
    passes = list(
        await db.scalars(select(Pass).where(Pass.order_id == order_id).order_by(Pass.change_seq))
    )
    changes = (
        await db.execute(
            select(PassChange.seq, PassChange.status, PassChange.reason)
            .where(PassChange.pass_id.in_([p.id for p in passes]))
            .order_by(PassChange.seq)
        )
    ).all()
    jobs = (
        await db.execute(
            select(OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.status).where(
                OutboxMessage.payload["order_id"].astext == str(order_id)
            )
        )
    ).all()
    return {
        "passes": [(p.status, p.key_id) for p in passes],
        "seqs": [p.change_seq for p in passes],
        "changes": [tuple(row) for row in changes],
        "jobs": [tuple(row) for row in jobs],
    }


async def test_a_free_sale_and_a_paid_fulfilment_write_the_same_passes_changes_and_email(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, secret_key=settings.secret_key)
    free = await factories.tier(db, event=event, name="Lawn")
    paid = await factories.tier(db, event=event, name="Deck", price_minor=2500)
    await db.commit()
    key_id = (await keys.active_key(db, event_id=event.id, secret_key=settings.secret_key)).id

    sold = await _free_sale(db, settings, event, free)

    pending = Order(
        public_id="paidpaidpaidpaidpaid22",
        event_id=event.id,
        buyer_email="kai@example.com",
        total_minor=5000,
        status=OrderStatus.pending,
    )
    db.add(pending)
    await db.flush()
    db.add(OrderLine(order_id=pending.id, tier_id=paid.id, quantity=2, unit_price_minor=2500))
    await db.execute(update(TicketTier).where(TicketTier.id == paid.id).values(held=2))
    await db.commit()
    assert await fulfilment.fulfil(db, order=pending, settings=settings) == "fulfilled"
    await db.commit()

    free_id, paid_id, event_id = sold.id, pending.id, event.id
    free_rows, paid_rows = await _written(db, free_id), await _written(db, paid_id)
    assert free_rows["seqs"] == [1, 2]
    assert paid_rows["seqs"] == [3, 4]
    for rows, order_id in ((free_rows, free_id), (paid_rows, paid_id)):
        assert rows["passes"] == [("valid", key_id)] * 2
        assert rows["changes"] == [(seq, "valid", "issued") for seq in rows["seqs"]]
        assert rows["jobs"] == [("order_confirmation", {"order_id": str(order_id)}, "pending")]
    assert (await db.get_one(Event, event_id)).change_seq == 4


async def test_a_sale_after_the_key_rotated_is_signed_with_the_new_key(
    db: AsyncSession, settings: Settings
) -> None:
    """The process sold a pass (and used to remember the key it signed with); the organizer's
    key is rotated; the next pass is signed with the new key, the old one still verifies."""
    event = await factories.event(db, secret_key=settings.secret_key)
    tier = await factories.tier(db, event=event)
    await db.commit()
    first = await _free_sale(db, settings, event, tier)
    new = await keys.create_event_key(db, event_id=event.id, secret_key=settings.secret_key)
    await db.commit()

    second = await _free_sale(db, settings, event, tier)

    signed_by = {
        order.id: set(await db.scalars(select(Pass.key_id).where(Pass.order_id == order.id)))
        for order in (first, second)
    }
    assert signed_by[second.id] == {new.id}
    assert signed_by[first.id] != {new.id}
    active = select(EventKey.id).where(EventKey.event_id == event.id, EventKey.active)
    assert list(await db.scalars(active)) == [new.id]


async def _refused_without_waiting(
    db: AsyncSession,
    settings: Settings,
    event: Event,
    quantities: dict[uuid.UUID, int],
    *,
    sold_out: TicketTier,
    held: TicketTier,
) -> tuple[str, bool]:
    """A buyer loads the event page; then `sold_out` sells its last seats, and while another
    transaction holds `held`'s row (an organizer's edit, a sale in flight), the buyer checks
    out. Returns the refusal and whether the checkout was ever seen waiting for a lock
    (pg_locks, polled until it answered: no clock involved)."""
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)
    sessions = session_factory(engine)
    try:
        async with sessions() as buyer, engine.connect() as holder:
            page = await published_event(buyer, slug=event.slug)
            assert page is not None
            await buyer.commit()
            await db.execute(
                update(TicketTier)
                .where(TicketTier.id == sold_out.id)
                .values(sold=TicketTier.capacity)
            )
            await db.commit()
            await holder.begin()
            await holder.execute(
                update(TicketTier).where(TicketTier.id == held.id).values(name=TicketTier.name)
            )
            form = services.CheckoutForm(quantities=quantities, email="late@example.com")
            checkout = asyncio.ensure_future(
                services.start_checkout(
                    buyer, event=page, form=form, settings=settings, gateway=None
                )
            )
            waited = False
            while not checkout.done() and not waited:
                waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
                waited = bool(await db.scalar(text(waiting)))
                await db.rollback()
            await holder.rollback()  # lets a waiting checkout go on, so the test ends either way
            with pytest.raises(services.CheckoutError) as refused:
                await checkout
            return str(refused.value), waited
    finally:
        await engine.dispose()


async def test_a_refusal_for_a_sold_out_tier_does_not_wait_for_a_transaction_holding_its_row(
    db: AsyncSession, settings: Settings
) -> None:
    """The page said 2 left; both sold since. An organizer's edit of the tier is in flight
    (its row locked): the buyer is told "Sold out" without waiting for it."""
    event = await factories.event(db, secret_key=settings.secret_key)
    tier = await factories.tier(db, event=event, name="Floor", capacity=2)
    await db.commit()

    refusal, waited = await _refused_without_waiting(
        db, settings, event, {tier.id: 1}, sold_out=tier, held=tier
    )

    assert refusal == "Sold out: not enough Floor tickets left."
    assert not waited


async def test_an_order_naming_a_sold_out_tier_does_not_wait_for_its_other_tiers_rows(
    db: AsyncSession, settings: Settings
) -> None:
    """Floor and balcony in one order; the balcony sold out since the page was loaded, and a
    sale of floor seats is in flight. The order is refused at once, naming the balcony (it
    used to take the floor's row first and wait for that sale), and writes nothing."""
    event = await factories.event(db, secret_key=settings.secret_key)
    floor = await factories.tier(db, event=event, name="Floor", capacity=10)
    balcony = await factories.tier(db, event=event, name="Balcony", capacity=2)
    await db.commit()
    floor_id = floor.id

    refusal, waited = await _refused_without_waiting(
        db, settings, event, {floor.id: 2, balcony.id: 1}, sold_out=balcony, held=floor
    )

    assert refusal == "Sold out: not enough Balcony tickets left."
    assert not waited
    db.expire_all()
    assert (await db.get_one(TicketTier, floor_id)).sold == 0
    for table in (Order, Pass, OutboxMessage):
        assert await db.scalar(select(func.count()).select_from(table)) == 0
