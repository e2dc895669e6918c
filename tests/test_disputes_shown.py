"""A disputed order as the buyer and the organizer see it (issue 14 item 18): the passes page
says the passes are on hold, and the dashboard's Net leaves the disputed money out."""

from __future__ import annotations

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import fulfilment
from api.db import Order, OrganizerMember
from api.passes.services import issue_passes
from api.settings import Settings
from tests import factories
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]


async def _two_paid_orders(db: AsyncSession, settings: Settings) -> tuple[Order, Order]:
    """Two orders of two $25 tickets each ($2 platform fee a ticket), passes issued."""
    organizer = await factories.organizer(db)
    db.add(OrganizerMember(organizer_id=organizer.id, email="owner@reef.example", role="owner"))
    event = await factories.event(db, name="Low Tide", org=organizer)
    tier = await factories.tier(db, event=event, name="Floor", price_minor=2500, capacity=50)
    orders = []
    for _ in range(2):
        order = await factories.paid_order(db, event=event, tier=tier, quantity=2)
        order.fee_minor = 400
        await issue_passes(
            db, order=order, tier_id=tier.id, count=2, secret_key=settings.secret_key
        )
        orders.append(order)
    await db.commit()
    return orders[0], orders[1]


async def _order_status(client: Client, public_id: str) -> BeautifulSoup:
    page = await client.get(f"/passes/{public_id}")
    assert page.status_code == 200
    return BeautifulSoup(page.text, "html.parser")


async def _figures(client: Client) -> dict[str, str]:
    page = BeautifulSoup((await client.get("/admin/")).text, "html.parser")
    return {
        str(tag["data-figure"]): tag.get_text()
        for tag in page.select("[data-event] [data-figure]")
        if tag["data-figure"] in ("gross", "fees", "refunds", "disputed", "net")
    }


async def test_a_disputed_order_says_its_passes_are_on_hold_and_net_leaves_it_out(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, disputed = await _two_paid_orders(db, settings)
    public_id = disputed.public_id
    await fulfilment.dispute_opened(db, order_id=disputed.id)
    await db.commit()

    page = await _order_status(client, public_id)
    status = page.select_one("#order-status")
    assert status is not None
    assert status["data-status"] == "disputed"
    assert "disputed with the card issuer" in status.get_text()
    assert "do not admit" in status.get_text()
    assert "Show each code at the door" not in page.get_text()
    assert [li["data-valid"] for li in page.select("#passes li.pass")] == ["false", "false"]

    await sign_in(client, db, settings, "owner@reef.example")
    assert await _figures(client) == {
        "gross": "$100.00",
        "fees": "$8.00",
        "refunds": "$0.00",
        "disputed": "$50.00",
        "net": "$42.00",
    }


async def test_a_lost_dispute_is_still_counted_as_disputed_and_said_so(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, disputed = await _two_paid_orders(db, settings)
    public_id = disputed.public_id
    await fulfilment.dispute_opened(db, order_id=disputed.id)
    await fulfilment.dispute_closed(db, order_id=disputed.id, won=False)
    await db.commit()

    status = (await _order_status(client, public_id)).select_one("#order-status")
    assert status is not None
    assert status["data-dispute"] == "lost"
    assert "after a dispute" in status.get_text()

    await sign_in(client, db, settings, "owner@reef.example")
    figures = await _figures(client)
    assert (figures["disputed"], figures["net"]) == ("$50.00", "$42.00")
