"""Finding orders on the dashboard (api/admin/order_search.py) and emailing many orders' tickets
again at once (api/mail/resend.py), on real PostgreSQL: search by name, email and the reference
buyers see, filters by event, tier and status, pages past the old cap of 100, and one outbox
job per order resent."""

from __future__ import annotations

import secrets
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.order_search import PAGE_SIZE, OrderQuery, reference_tail, search_orders
from api.db import AuditEntry, Event, Order, OrderLine, OrderStatus, OutboxMessage, TicketTier
from api.db.orders import order_reference
from api.errors import Invalid, Refused
from api.mail.resend import MAX_AT_ONCE, resend_many
from api.passes import services as pass_services
from api.settings import Settings
from tests import factories


async def _order(
    db: AsyncSession, event: Event, tier: TicketTier, email: str, name: str = "",
    status: str = OrderStatus.paid,
) -> Order:  # fmt: skip
    order = await factories.paid_order(db, event=event, tier=tier)
    order.buyer_email, order.buyer_name, order.status = email, name, status
    return order


async def _find(db: AsyncSession, organizer_ids: list[uuid.UUID], **asked: object) -> list[str]:
    found = await search_orders(
        db,
        organizer_ids=organizer_ids,
        query=OrderQuery.read(**asked),  # type: ignore[arg-type]
    )
    return [o.buyer_email for o in found.orders]


async def test_an_order_is_found_by_name_email_or_the_reference_its_buyer_reads_out(
    db: AsyncSession,
) -> None:
    org = await factories.organizer(db)
    event = await factories.event(db, org=org)
    tier = await factories.tier(db, event=event)
    kai = await _order(db, event, tier, "kai@reef.example", "Kai Makoa")
    await _order(db, event, tier, "lani@reef.example", "Lani Hale")
    other = await factories.organizer(db, name="Other Venue")
    their_event = await factories.event(db, org=other)
    their_tier = await factories.tier(db, event=their_event)
    await _order(db, their_event, their_tier, "kai@other.example", "Kai Other")
    await db.commit()
    mine = [org.id]

    assert await _find(db, mine, text="KAI@") == ["kai@reef.example"]
    assert await _find(db, mine, text="makoa") == ["kai@reef.example"]
    reference = kai.reference
    assert await _find(db, mine, text=reference) == ["kai@reef.example"]
    # As people type it: lower case, a hyphen in the middle, an O for a zero, a leading #.
    typed = f"#{reference[:4].lower()}-{reference[4:].lower()}".replace("0", "o")
    assert await _find(db, mine, text=typed) == ["kai@reef.example"]
    assert await _find(db, mine, text=kai.public_id) == ["kai@reef.example"]
    # Another organizer's order is never found, and LIKE's wildcards are plain characters.
    assert await _find(db, mine, text="other") == []
    assert await _find(db, mine, text="%") == []
    assert await _find(db, mine, text="_") == []


def test_a_reference_decodes_to_the_tail_of_the_order_id_it_came_from() -> None:
    for _ in range(50):
        order_id = uuid.uuid4()
        assert reference_tail(order_reference(order_id)) == order_id.hex[-10:]
    assert reference_tail("K7Q2MXP") is None
    assert reference_tail("K7Q2MXPU") is None  # U is no Crockford digit


async def test_filters_by_event_tier_and_status_narrow_the_list(db: AsyncSession) -> None:
    org = await factories.organizer(db)
    night = await factories.event(db, org=org, name="Night")
    day = await factories.event(db, org=org, name="Day")
    deck = await factories.tier(db, event=night, name="Deck")
    sand = await factories.tier(db, event=night, name="Sand")
    day_tier = await factories.tier(db, event=day, name="Day pass")
    await _order(db, night, deck, "deck@x.io")
    await _order(db, night, sand, "sand@x.io")
    await _order(db, night, sand, "gone@x.io", status=OrderStatus.refunded)
    await _order(db, day, day_tier, "day@x.io")
    await db.commit()
    mine = [org.id]

    assert sorted(await _find(db, mine, event_id=night.id)) == [
        "deck@x.io", "gone@x.io", "sand@x.io"
    ]  # fmt: skip
    assert sorted(await _find(db, mine, tier_id=sand.id)) == ["gone@x.io", "sand@x.io"]
    assert await _find(db, mine, tier_id=sand.id, status="paid") == ["sand@x.io"]
    assert await _find(db, mine, status="refunded") == ["gone@x.io"]
    assert await _find(db, mine, status="paid", text="day") == ["day@x.io"]
    with pytest.raises(Invalid, match="No order status is called 'lost'"):
        OrderQuery.read(status="lost")
    with pytest.raises(Invalid, match="page is a number"):
        OrderQuery.from_form({"page": "two"})
    with pytest.raises(Invalid, match="tier filter names nothing"):
        OrderQuery.from_form({"tier": "not-an-id"})
    assert OrderQuery.from_form({"event": "", "tier": "", "page": ""}) == OrderQuery()


async def test_pages_reach_every_order_past_the_first_hundred_once_each(
    db: AsyncSession,
) -> None:
    org = await factories.organizer(db)
    event = await factories.event(db, org=org)
    tier = await factories.tier(db, event=event, capacity=1000)
    orders = [
        Order(
            public_id=secrets.token_urlsafe(16),
            event_id=event.id,
            buyer_email=f"buyer{n:03}@x.io",
            status=OrderStatus.paid,
        )
        for n in range(230)
    ]
    db.add_all(orders)
    await db.flush()
    db.add_all(OrderLine(order_id=o.id, tier_id=tier.id, quantity=1, unit_price_minor=0)
               for o in orders)  # fmt: skip
    await db.commit()

    seen: list[str] = []
    page = 1
    while True:
        found = await search_orders(db, organizer_ids=[org.id], query=OrderQuery(page=page))
        assert found.total == 230
        assert found.pages == -(-230 // PAGE_SIZE)
        seen += [o.buyer_email for o in found.orders]
        if page == found.pages:
            break
        page += 1
    assert len(seen) == 230
    assert len(set(seen)) == 230
    last = await search_orders(db, organizer_ids=[org.id], query=OrderQuery(page=5))
    assert (last.first, last.last) == (201, 230)
    # A page past the last shows the last.
    beyond = await search_orders(db, organizer_ids=[org.id], query=OrderQuery(page=99))
    assert beyond.page == 5
    assert [o.buyer_email for o in beyond.orders] == seen[200:]


async def test_bulk_resend_queues_one_email_per_order_with_tickets_and_counts_the_rest(
    db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organizer(db)
    event = await factories.event(db, org=org, secret_key=settings.secret_key)
    tier = await factories.tier(db, event=event)
    with_passes = []
    for email in ("a@x.io", "b@x.io", "c@x.io"):
        order = await _order(db, event, tier, email)
        await pass_services.issue_passes(
            db, order=order, tier_id=tier.id, count=1, secret_key=settings.secret_key
        )
        with_passes.append(order)
    empty = await _order(db, event, tier, "none@x.io")  # no pass issued: nothing to send
    await db.commit()
    before = await db.scalar(select(func.count()).select_from(OutboxMessage))

    found = await search_orders(db, organizer_ids=[org.id], query=OrderQuery())
    resent = await resend_many(db, orders=found.orders, actor="owner@x.io")

    assert (resent.queued, resent.nothing_left) == (3, 1)
    jobs = list(
        await db.scalars(
            select(OutboxMessage.payload["order_id"].astext).where(
                OutboxMessage.kind == "resend_tickets"
            )
        )
    )
    assert sorted(jobs) == sorted(str(o.id) for o in with_passes)
    assert await db.scalar(select(func.count()).select_from(OutboxMessage)) == (before or 0) + 3
    audited = list(
        await db.scalars(select(AuditEntry.target).where(AuditEntry.action == "tickets.resent"))
    )
    assert sorted(audited) == sorted(str(o.id) for o in with_passes)
    assert str(empty.id) not in jobs
    with pytest.raises(Refused, match=f"at most {MAX_AT_ONCE}"):
        await resend_many(db, orders=[empty] * (MAX_AT_ONCE + 1), actor="owner@x.io")
