"""One sale writer: a free checkout and a paid order's fulfilment issue passes the same way.

Free orders used to issue their passes in the checkout's own SQL and paid orders through the
ORM, with a per-process cache of each event's signing key: after a key rotation, a process that
had sold before kept signing new passes with the retired key.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
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
