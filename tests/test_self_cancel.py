"""A buyer cancels their tickets from the passes page, as the event's rules allow: a paid order
is refunded through Stripe (the platform fee kept or given back, as the organizer chose) and
the webhook voids the passes and frees the seats, like every other refund; free tickets are
voided at once. Through the real checkout, the Stripe stand-in and its webhooks."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Order, Pass, Refund, TicketTier
from tests import factories
from tests.forms import csrf_token
from tests.pages import one, parse
from tests.self_service_support import allow, cancel, codes, paid, transfer
from tests.shop import Shop, order_state


def _refund_calls(shop: Shop) -> list[dict[str, object]]:
    return [r.params for r in shop.standin.requests if r.path == "/v1/refunds"]


async def test_a_buyer_cancels_a_paid_order_and_the_webhook_voids_it_and_frees_the_seats(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=2)
    both = await codes(db, public_id)

    asked = await cancel(shop.browser, public_id)

    assert asked.status_code == 303
    assert asked.headers["location"] == f"/passes/{public_id}?done=refund_requested"
    (call,) = _refund_calls(shop)
    assert call["amount"] == 5000
    assert call["reverse_transfer"] is True
    assert "refund_application_fee" not in call  # the platform keeps its fee
    assert sorted(str(call["metadata"]["passes"]).split(",")) == sorted(both)  # type: ignore[index]
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void", "void"])
    page = await shop.browser.get(asked.headers["location"])
    assert one(page.text, "#order-status")["data-status"] == "refunded"
    assert parse(page.text).select("#cancel-tickets") == []
    refund = await db.scalar(select(Refund))
    assert refund is not None
    assert refund.reason == "Cancelled by the buyer"
    assert refund.initiated_by == "buyer@example.com"


async def test_the_organizer_may_give_the_platform_fee_back_on_cancellation(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop, refunds_fee=True)
    public_id = await paid(shop, quantity=1)
    await cancel(shop.browser, public_id)
    (call,) = _refund_calls(shop)
    assert call["refund_application_fee"] is True
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void"])


async def test_a_ticket_transferred_away_is_not_refunded_and_one_received_cannot_be_cancelled(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=2)
    first, second = await codes(db, public_id)
    await transfer(shop.browser, public_id, first, "friend@example.com")

    await cancel(shop.browser, public_id)
    (call,) = _refund_calls(shop)
    assert (call["amount"], call["metadata"]["passes"]) == (2500, second)  # type: ignore[index]
    await shop.standin.settle_async()
    status, sold, _, passes = await order_state(db, public_id)
    assert (status, sold, sorted(passes)) == ("refunded", 1, ["void", "void"])

    received = await db.scalar(select(Order).where(Order.buyer_email == "friend@example.com"))
    assert received is not None
    theirs = await shop.browser.get(f"/passes/{received.public_id}")
    assert parse(theirs.text).select("#cancel-tickets") == []
    forced = await shop.browser.post(
        f"/passes/{received.public_id}/cancellation",
        data={"_csrf_token": csrf_token((await shop.browser.get("/login")).text), "confirm": "yes"},
    )
    assert forced.status_code == 409
    assert "transferred to you" in one(forced.text, "[data-problem]").text
    assert await order_state(db, received.public_id) == ("paid", 1, 0, ["valid"])


async def test_free_tickets_are_voided_at_once_and_their_seats_freed(
    shop: Shop, db: AsyncSession
) -> None:
    paid_tier = await db.get_one(TicketTier, shop.tier_id)
    event = await db.get_one(Event, paid_tier.event_id)
    free = await factories.tier(db, event=event, name="Standing", price_minor=0, capacity=5)
    await db.commit()
    await allow(db, shop)
    page = await shop.browser.get(f"/e/{shop.slug}")
    bought = await shop.browser.post(
        f"/e/{shop.slug}/checkout",
        data={"_csrf_token": csrf_token(page.text), f"qty-{free.id}": "2",
              "email": "buyer@example.com"},
    )  # fmt: skip
    assert bought.status_code == 303
    public_id = bought.headers["location"].split("/passes/")[1]

    done = await cancel(shop.browser, public_id)

    assert done.headers["location"] == f"/passes/{public_id}?done=cancelled"
    assert _refund_calls(shop) == []
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    assert order.status == "cancelled"
    assert list(await db.scalars(select(Pass.void_reason).where(Pass.order_id == order.id))) == [
        "cancelled", "cancelled",
    ]  # fmt: skip
    await db.refresh(free)
    assert free.sold == 0


async def test_cancelling_needs_the_box_ticked_the_events_leave_and_its_deadline(
    shop: Shop, db: AsyncSession
) -> None:
    public_id = await paid(shop, quantity=1)
    page = await shop.browser.get(f"/passes/{public_id}")
    assert parse(page.text).select("#cancel-tickets") == []
    token = csrf_token((await shop.browser.get("/login")).text)
    url = f"/passes/{public_id}/cancellation"
    refused = await shop.browser.post(url, data={"_csrf_token": token, "confirm": "yes"})
    assert refused.status_code == 409
    assert "does not allow cancellations" in one(refused.text, "[data-problem]").text

    await allow(db, shop, cancel_hours=24 * 365)  # the deadline was long ago
    late = await shop.browser.post(url, data={"_csrf_token": token, "confirm": "yes"})
    assert late.status_code == 409
    assert re.search(r"deadline for cancellations has passed", late.text)
    unticked = await shop.browser.post(url, data={"_csrf_token": token})
    assert unticked.status_code == 400
    assert _refund_calls(shop) == []
    assert await order_state(db, public_id) == ("paid", 1, 0, ["valid"])


async def test_until_stripe_confirms_the_page_says_the_refund_is_under_way(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=1)
    shop.standin.hold()  # Stripe's webhooks are late
    asked = await cancel(shop.browser, public_id)
    page = await shop.browser.get(asked.headers["location"])
    assert one(page.text, "#self-service-done")["data-done"] == "refund_requested"
    assert one(page.text, "#refund-pending")
    assert parse(page.text).select("#cancel-tickets") == []
    assert await order_state(db, public_id) == ("paid", 1, 0, ["valid"])
    shop.standin.release()
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void"])
    page = await shop.browser.get(f"/passes/{public_id}")
    assert parse(page.text).select("#refund-pending") == []


async def test_a_buyer_cancels_some_tickets_and_keeps_the_others(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=3)
    first, second, third = await codes(db, public_id)
    page = await shop.browser.get(f"/passes/{public_id}")
    boxes = parse(page.text).select("#cancel-tickets [data-cancel-pass]")
    assert [str(b["value"]) for b in boxes] == [first, second, third]

    none = await cancel(shop.browser, public_id, only=[])
    assert none.status_code == 400
    assert "Tick the tickets to cancel" in one(none.text, "[data-problem]").text
    asked = await cancel(shop.browser, public_id, only=[second])
    assert asked.status_code == 303
    (call,) = _refund_calls(shop)
    assert (call["amount"], call["metadata"]["passes"]) == (2500, second)  # type: ignore[index]
    await shop.standin.settle_async()
    status, sold, _, passes = await order_state(db, public_id)
    assert (status, sold, sorted(passes)) == ("partially_refunded", 2, ["valid", "valid", "void"])
    page = await shop.browser.get(f"/passes/{public_id}")
    left = parse(page.text).select("#cancel-tickets [data-cancel-pass]")
    assert sorted(str(b["value"]) for b in left) == sorted([first, third])
