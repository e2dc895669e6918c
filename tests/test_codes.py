"""Discount and access codes at checkout (issue 17, "Codes"): the event page with a code, the
order's discounted price at Stripe, free orders from full discounts, hidden tiers, and a code's
use limit under a race."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import fulfilment, services
from api.db import Code, Event, Order, OrderLine, Pass, TicketTier, utcnow
from api.db.engine import create_engine, session_factory
from api.events.services import published_event
from api.payments.gateway import StripeGateway
from api.settings import Settings
from tests import factories
from tests.pages import one, parse, text, texts
from tests.shop import Shop
from tests.stripe_standin.standin import StripeStandin

Client = AsyncTestClient[Litestar]


async def add_code(db: AsyncSession, event: Event, code: str, **fields: Any) -> uuid.UUID:
    """A code of the event, as the dashboard makes them; returns its id."""
    item = Code(event_id=event.id, code=code, **{"kind": "none", "value": 0, **fields})
    db.add(item)
    await db.commit()
    return item.id


async def code_uses(db: AsyncSession, code_id: uuid.UUID) -> int:
    db.expire_all()
    return int(await db.scalar(select(Code.uses).where(Code.id == code_id)) or 0)


async def latest_order(db: AsyncSession) -> Order:
    db.expire_all()
    order = await db.scalar(select(Order).order_by(Order.created_at.desc()).limit(1))
    assert order is not None
    return order


async def shop_event(db: AsyncSession, shop: Shop) -> Event:
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    return event


async def test_a_percent_code_shows_its_prices_and_stripe_charges_the_discounted_price(
    shop: Shop, db: AsyncSession
) -> None:
    event = await shop_event(db, shop)
    code = await add_code(db, event, "SUMMER25", kind="percent", value=25)
    page = (await shop.browser.get(f"/e/{shop.slug}?code=summer25")).text
    assert one(page, "#code-applied")["data-code"] == "SUMMER25"
    assert "25% off" in text(page, "#code-applied")
    price = one(page, '[data-tier="VIP"] .price')
    assert price["data-price"] == "1875"
    assert text(price, "[data-list-price]") == "$25.00"
    assert one(page, 'form[action$="/checkout"] input[name="code"]')["value"] == "SUMMER25"

    hidden = {tag["name"]: tag["value"] for tag in parse(page).select(
        'form[action$="/checkout"] input[type="hidden"]')}  # fmt: skip
    response = await shop.browser.post(
        f"/e/{shop.slug}/checkout",
        data={**hidden, f"qty-{shop.tier_id}": "2", "email": "ana@example.com"},
    )
    assert response.status_code == 303, response.text
    session = shop.standin.get(response.headers["location"].rsplit("/", 1)[-1])
    assert session["amount_total"] == 3750
    create = next(r for r in shop.standin.requests if r.path == "/v1/checkout/sessions")
    [line] = create.params["line_items"]
    assert (line["price_data"]["unit_amount"], line["quantity"]) == (1875, 2)
    assert create.params["payment_intent_data"]["application_fee_amount"] == 400  # per ticket

    order = await latest_order(db)
    assert (order.total_minor, order.discount_minor, order.code_id) == (3750, 1250, code)
    assert await code_uses(db, code) == 1
    prices = list(await db.scalars(select(OrderLine.unit_price_minor)))
    assert prices == [1875]


async def test_a_full_discount_is_a_free_order_that_never_touches_stripe(
    shop: Shop, db: AsyncSession
) -> None:
    event = await shop_event(db, shop)
    code = await add_code(db, event, "CREW", kind="percent", value=100)
    page = (await shop.browser.get(f"/e/{shop.slug}?code=CREW")).text
    assert text(page, '[data-tier="VIP"] .price [data-list-price]') == "$25.00"
    assert one(page, '[data-tier="VIP"] .price')["data-price"] == "0"
    hidden = {tag["name"]: tag["value"] for tag in parse(page).select(
        'form[action$="/checkout"] input[type="hidden"]')}  # fmt: skip
    response = await shop.browser.post(
        f"/e/{shop.slug}/checkout",
        data={**hidden, f"qty-{shop.tier_id}": "2", "email": "crew@example.com"},
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/passes/")
    assert not [r for r in shop.standin.requests if r.path == "/v1/checkout/sessions"]
    order = await latest_order(db)
    assert (order.status, order.total_minor, order.fee_minor) == ("paid", 0, 0)
    assert (order.discount_minor, order.code_id) == (5000, code)
    assert await db.scalar(select(func.count()).select_from(Pass)) == 2


async def test_an_amount_off_never_leaves_a_paid_ticket_below_the_platform_fee(
    shop: Shop, db: AsyncSession
) -> None:
    """$24 off a $25 ticket would leave $1, less than the $2 fee Stripe takes from it."""
    event = await shop_event(db, shop)
    await add_code(db, event, "ALMOST", kind="amount", value=2400)
    page = (await shop.browser.get(f"/e/{shop.slug}?code=ALMOST")).text
    assert one(page, '[data-tier="VIP"] .price')["data-price"] == "200"
    assert "$24.00 off each ticket" in text(page, "#code-applied")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "“NOPE” is not a valid code for this event."),
        ({"active": False}, "“NOPE” is not a valid code for this event."),
        ({"ends_at": utcnow() - timedelta(minutes=1)}, "The code NOPE has expired."),
        ({"max_uses": 1, "uses": 1}, "The code NOPE has been used up."),
        ({"starts_at": utcnow() + timedelta(days=1)}, "The code NOPE can be used from "),
    ],
)
async def test_a_code_that_cannot_be_used_says_why_on_the_event_page(
    client: Client, db: AsyncSession, fields: dict[str, Any], message: str
) -> None:
    event = await factories.event(db)
    await factories.tier(db, event=event, name="Floor")
    await db.commit()
    if fields:
        await add_code(db, event, "NOPE", kind="percent", value=10, **fields)
    page = (await client.get(f"/e/{event.slug}?code=nope")).text
    assert text(page, "#code-error").startswith(message)
    assert one(page, '#code-form input[name="code"]')["value"] == "nope"
    assert not parse(page).select("#code-applied")


async def test_a_hidden_tier_is_shown_and_sold_only_with_a_code_that_unlocks_it(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db)
    await factories.tier(db, event=event, name="Floor")
    backstage = await factories.tier(db, event=event, name="Backstage")
    backstage.hidden = True
    await db.commit()
    other = await add_code(db, event, "FLOORONLY", kind="percent", value=10,
                           tier_ids=[(await db.scalar(select(TicketTier.id).where(
                               TicketTier.name == "Floor")))])  # fmt: skip
    code = await add_code(db, event, "BACKSTAGE", tier_ids=[backstage.id])

    assert texts(await _page(client, event.slug), "[data-tier] strong") == ["Floor"]
    assert texts(await _page(client, event.slug, "FLOORONLY"), "[data-tier] strong") == ["Floor"]
    page = await _page(client, event.slug, "BACKSTAGE")
    assert texts(page, "[data-tier] strong") == ["Floor", "Backstage"]

    # A forged order for the hidden tier without its code sells nothing.
    hidden = {t["name"]: t["value"] for t in parse(await _page(client, event.slug)).select(
        'form[action$="/checkout"] input[type="hidden"]')}  # fmt: skip
    forged = await client.post(
        f"/e/{event.slug}/checkout",
        data={**hidden, f"qty-{backstage.id}": "1", "email": "x@example.com"},
    )
    assert forged.status_code == 422
    assert text(forged.text, "#form-error") == "Choose at least one ticket."

    hidden = {t["name"]: t["value"] for t in parse(page).select(
        'form[action$="/checkout"] input[type="hidden"]')}  # fmt: skip
    bought = await client.post(
        f"/e/{event.slug}/checkout",
        data={**hidden, f"qty-{backstage.id}": "1", "email": "vip@example.com"},
        follow_redirects=False,
    )
    assert bought.status_code == 303
    order = await latest_order(db)
    assert (order.status, order.code_id, order.discount_minor) == ("paid", code, 0)
    assert await code_uses(db, code) == 1
    assert await code_uses(db, other) == 0


async def _page(client: Client, slug: str, code: str | None = None) -> str:
    return (await client.get(f"/e/{slug}" + (f"?code={code}" if code else ""))).text


async def test_a_lapsed_unpaid_checkout_gives_its_code_use_back(
    shop: Shop, db: AsyncSession
) -> None:
    event = await shop_event(db, shop)
    code = await add_code(db, event, "ONCE", kind="amount", value=500, max_uses=1)
    first = await _buy_with(shop, "ONCE", "first@example.com")
    assert first.status_code == 303
    assert await code_uses(db, code) == 1
    page = (await shop.browser.get(f"/e/{shop.slug}?code=ONCE")).text
    assert text(page, "#code-error") == "The code ONCE has been used up."
    # A buyer who had the page open before the last use went: the checkout says it too.
    second = await _buy_with(shop, "ONCE", "second@example.com")
    assert second.status_code == 422
    assert text(second.text, "#form-error") == "The code ONCE has been used up."

    held = await latest_order(db)
    assert await fulfilment.expire(db, order_id=held.id)
    await db.commit()
    assert await code_uses(db, code) == 0
    again = await _buy_with(shop, "ONCE", "second@example.com")
    assert again.status_code == 303
    assert await code_uses(db, code) == 1


async def _buy_with(shop: Shop, code: str, email: str) -> Any:
    page = (await shop.browser.get(f"/e/{shop.slug}?code={code}")).text
    hidden = {t["name"]: t["value"] for t in parse(page).select(
        'form[action$="/checkout"] input[type="hidden"]')}  # fmt: skip
    return await shop.browser.post(
        f"/e/{shop.slug}/checkout",
        data={**hidden, "code": code, f"qty-{shop.tier_id}": "1", "email": email},
    )


@pytest.mark.parametrize("percent", [100, 20], ids=["free orders", "held for Stripe"])
async def test_200_buyers_racing_for_a_50_use_code_get_exactly_50_orders_with_it(
    settings: Settings, db: AsyncSession, percent: int
) -> None:
    with StripeStandin() as standin:
        live = dataclasses.replace(
            settings, stripe_secret_key=standin.api_key, stripe_api_base=standin.url
        )
        organizer = await factories.organizer(db)
        organizer.stripe_account_id = standin.create_account(charges_enabled=True)["id"]
        organizer.charges_enabled = True
        event = await factories.event(db, org=organizer, secret_key=settings.secret_key)
        tier = await factories.tier(db, event=event, price_minor=2500, capacity=1000)
        code = await add_code(db, event, "RACE", kind="percent", value=percent, max_uses=50)
        assert settings.database_url
        engine = create_engine(settings.database_url, pool_size=20)
        sessions = session_factory(engine)
        gateway = StripeGateway(live)

        async def attempt(n: int) -> str:
            async with sessions() as session:
                page = await published_event(session, slug=event.slug)
                assert page is not None
                await session.commit()
                form = services.CheckoutForm(
                    quantities={tier.id: 1},
                    email=f"b{n}@example.com",
                    code="race",
                    client=f"10.0.0.{n}",  # 200 buyers, each holding from their own address
                )
                try:
                    await services.start_checkout(
                        session, event=page, form=form, settings=live, gateway=gateway
                    )
                except services.CheckoutError as exc:
                    return str(exc)
                return "bought"

        try:
            results = await asyncio.gather(*(attempt(n) for n in range(200)))
        finally:
            await gateway.aclose()
            await engine.dispose()
    assert results.count("bought") == 50
    assert set(results) - {"bought"} == {"The code RACE has been used up."}
    assert await code_uses(db, code) == 50
    with_code = await db.scalar(
        select(func.count()).select_from(Order).where(Order.code_id == code)
    )
    assert with_code == 50
    await db.refresh(tier)
    assert tier.sold + tier.held == 50


async def test_a_code_with_characters_that_cannot_be_shown_is_refused_without_them(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db)
    await factories.tier(db, event=event, name="Floor")
    await db.commit()
    response = await client.get(f"/e/{event.slug}", params={"code": "ab\x00c\x1b" + "x" * 500})
    assert response.status_code == 200
    assert text(response.text, "#code-error").startswith("“ABCXXX")
    assert "\x00" not in response.text
    assert one(response.text, '#code-form input[name="code"]')["value"] == "abc" + "x" * 35


async def test_a_payment_after_its_hold_lapsed_keeps_its_price_even_when_the_code_was_used_again(
    shop: Shop, db: AsyncSession
) -> None:
    """The lapsed hold gave its use back and another buyer took it; the late payment still gets
    its tickets at the price it paid, and the code's count stays within its limit."""
    event = await shop_event(db, shop)
    code = await add_code(db, event, "ONCE", kind="amount", value=500, max_uses=1)
    assert (await _buy_with(shop, "ONCE", "slow@example.com")).status_code == 303
    slow = (await latest_order(db)).id
    assert await fulfilment.expire(db, order_id=slow)
    await db.commit()
    assert (await _buy_with(shop, "ONCE", "quick@example.com")).status_code == 303
    assert await code_uses(db, code) == 1

    late = await db.get(Order, slow)
    assert late is not None
    outcome = await fulfilment.fulfil(db, order=late, settings=shop.settings)
    await db.commit()
    assert outcome == "late_fulfilled"
    db.expire_all()
    paid = await db.get(Order, slow)
    assert paid is not None
    assert (paid.status, paid.total_minor, paid.code_id) == ("paid", 2000, code)
    assert await code_uses(db, code) == 1
