"""Multi-currency (issue 17): an event sells in one currency picked from those with a platform fee
(PLATFORM_FEES) that the organizer's Stripe account settles in; zero-decimal currencies are right
from the tier form to Stripe, the pages, the email and the CSV; amounts are formatted with Babel."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import currencies
from api.app import create_app
from api.db import AuditEntry, Event, Order, Organizer, OrganizerMember, TicketTier
from api.demo import load_demo
from api.events.tiers import TierError, check_tier
from api.formatting import money
from api.mail import content
from api.settings import Settings, SettingsError
from tests import factories, pages
from tests.forms import csrf_token
from tests.shop import OPERATOR, live_with_stripe
from tests.stripe_standin.standin import StripeStandin
from tests.test_dashboard import sign_in
from tests.test_dashboard_events import EVENT, TIER

Client = AsyncTestClient[Litestar]
FEES = (("USD", 200), ("EUR", 190), ("JPY", 300))
BASIC = {"authorization": "Basic " + base64.b64encode(":".join(OPERATOR).encode()).decode()}


# -- settings -------------------------------------------------------------------------------


def test_platform_fees_are_read_per_currency_in_minor_units() -> None:
    settings = Settings.from_env({"PLATFORM_FEES": "USD:200, eur:190,JPY:300"})
    assert settings.fees == {"USD": 200, "EUR": 190, "JPY": 300}


def test_without_platform_fees_the_old_one_currency_settings_still_work() -> None:
    assert Settings.from_env({}).fees == {"USD": 200}
    old = Settings.from_env({"PLATFORM_FEE_CENTS": "150", "PLATFORM_CURRENCY": "EUR"})
    assert old.fees == {"EUR": 150}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("USD=200", "'USD=200' is not CODE:AMOUNT"),
        ("USD:2.00", "'USD:2.00' is not CODE:AMOUNT"),
        ("USD:", "'USD:' is not CODE:AMOUNT"),
        ("DOLLARS:200", "'DOLLARS' is not an ISO 4217 currency code"),
        ("XYZ:200", "'XYZ' is not an ISO 4217 currency code"),
        ("USD:200,usd:300", "names USD twice"),
        ("JPY:-1", "the fee in JPY must be 0 or more"),
        (",", "PLATFORM_FEES is empty"),
    ],
)
def test_malformed_platform_fees_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env({"PLATFORM_FEES": raw})


def test_platform_fees_with_the_old_fee_setting_is_refused_rather_than_guessed() -> None:
    with pytest.raises(SettingsError, match="PLATFORM_FEES replaces PLATFORM_FEE_CENTS"):
        Settings.from_env({"PLATFORM_FEES": "USD:200", "PLATFORM_FEE_CENTS": "150"})
    with pytest.raises(SettingsError, match="PLATFORM_CURRENCY"):
        Settings.from_env({"PLATFORM_CURRENCY": "euro"})


# -- amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "shown"),
    [
        (2500, "USD", "en", "$25.00"),
        (1500, "JPY", "en", "¥1,500"),
        (150000, "JPY", "en", "¥150,000"),
        (1900, "EUR", "en", "€19.00"),
        (1900, "EUR", "de", "19,00\xa0€"),
        (1500, "KRW", "en", "₩1,500"),
        (150000, "ISK", "en", "ISK\xa01,500"),
        (123456, "USD", "fr", "1\u202f234,56\xa0$US"),
    ],
)
def test_money_is_formatted_by_locale_with_each_currencys_decimals(
    minor: int, currency: str, locale: str, shown: str
) -> None:
    assert money(minor, currency, locale) == shown


def test_prices_are_typed_with_the_decimals_stripe_counts() -> None:
    assert currencies.to_minor(Decimal("1500"), "JPY") == 1500  # not 150000
    assert currencies.to_minor(Decimal("1500.5"), "JPY") is None
    assert currencies.to_minor(Decimal("25.50"), "USD") == 2550
    assert currencies.to_minor(Decimal("1500"), "ISK") == 150000  # Stripe: two decimals, 00
    assert currencies.to_minor(Decimal("1500.5"), "ISK") is None
    assert currencies.to_minor(Decimal("2.5"), "KWD") == 2500  # three decimals, last one 0
    assert currencies.to_minor(Decimal("2.505"), "KWD") is None
    assert [currencies.plain(m, c) for m, c in [(1500, "JPY"), (2550, "USD"), (150000, "ISK")]] \
        == ["1500", "25.50", "1500"]  # fmt: skip


def test_a_tier_in_a_currency_without_a_fee_is_refused_and_the_fee_is_the_currencys_own() -> None:
    fees = dict(FEES)
    with pytest.raises(TierError, match="no platform fee set for GBP"):
        check_tier(name="Deck", price_minor=2500, capacity=10, currency="GBP", fees=fees)
    with pytest.raises(TierError, match="at least the platform fee of ¥300"):
        check_tier(name="Deck", price_minor=299, capacity=10, currency="JPY", fees=fees)
    check_tier(name="Deck", price_minor=300, capacity=10, currency="JPY", fees=fees)


async def test_the_demo_is_priced_in_the_first_currency_with_a_fee(
    db: AsyncSession, settings: Settings
) -> None:
    await load_demo(db, base_url="http://demo", secret_key=settings.secret_key, currency="EUR")
    await db.commit()
    assert set(await db.scalars(select(TicketTier.currency))) == {"EUR"}
    assert set(await db.scalars(select(Event.currency))) == {"EUR"}


# -- the dashboard's event and tier forms ---------------------------------------------------


@pytest.fixture
async def owner(db: AsyncSession, settings: Settings) -> AsyncIterator[tuple[Client, Organizer]]:
    """An owner signed in to a site with fees in USD, EUR and JPY."""
    multi = dataclasses.replace(settings, platform_fees=FEES)
    organizer = await factories.organizer(db, name="Reef Bar")
    db.add(OrganizerMember(organizer_id=organizer.id, email="staff@reef.example", role="owner"))
    await db.commit()
    async with AsyncTestClient(app=create_app(multi)) as client:
        await sign_in(client, db, multi, "staff@reef.example")
        yield client, organizer


async def _submit(client: Client, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    form = await client.get(page)
    assert form.status_code == 200, form.text
    return await client.post(
        action, data={"_csrf_token": csrf_token(form.text), **data}, follow_redirects=False
    )


def _errors(response: httpx.Response) -> list[str]:
    return pages.texts(response.text, "#errors li")


async def test_the_event_form_offers_the_currencies_with_a_fee_that_the_account_settles_in(
    owner: tuple[Client, Organizer], db: AsyncSession
) -> None:
    client, organizer = owner
    page = await client.get("/admin/events/new")
    assert pages.values(page.text, "select#currency option", "value") == ["USD", "EUR", "JPY"]
    organizer.stripe_currencies = ["EUR", "CHF", "GBP", "USD"]  # a German account
    await db.commit()
    page = await client.get("/admin/events/new")
    assert pages.values(page.text, "select#currency option", "value") == ["EUR", "USD"]
    assert pages.values(page.text, "select#currency option[selected]", "value") == ["EUR"]
    organizer.stripe_currencies = ["BRL"]  # no fee in BRL here: Stripe converts, all are offered
    await db.commit()
    page = await client.get("/admin/events/new")
    assert pages.values(page.text, "select#currency option", "value") == ["USD", "EUR", "JPY"]
    created = await _submit(client, "/admin/events/new", "/admin/events/new",
                            EVENT | {"currency": "EUR"})  # fmt: skip
    assert created.status_code == 303, _errors(created)


async def test_an_event_in_a_currency_without_a_fee_is_refused_with_a_clear_message(
    owner: tuple[Client, Organizer], db: AsyncSession
) -> None:
    client, organizer = owner
    refused = await _submit(client, "/admin/events/new", "/admin/events/new",
                            EVENT | {"currency": "GBP"})  # fmt: skip
    assert refused.status_code == 400
    assert _errors(refused) == [
        "Tickets cannot be sold in GBP on this site: it has no platform fee set for GBP (ask the"
        " operator to add it to PLATFORM_FEES). Pick one of USD, EUR, JPY."
    ]
    organizer.stripe_currencies = ["JPY"]
    await db.commit()
    refused = await _submit(client, "/admin/events/new", "/admin/events/new",
                            EVENT | {"currency": "EUR"})  # fmt: skip
    assert _errors(refused) == [
        "Your Stripe account does not settle in EUR (it settles in JPY). Pick one of JPY."
    ]
    assert list(await db.scalars(select(Event.id))) == []


async def test_a_yen_event_takes_its_tier_prices_in_whole_yen(
    owner: tuple[Client, Organizer], db: AsyncSession
) -> None:
    client, _ = owner
    created = await _submit(client, "/admin/events/new", "/admin/events/new",
                            EVENT | {"currency": "JPY"})  # fmt: skip
    assert created.status_code == 303, created.text
    event_page = created.headers["location"]
    new_tier = f"{event_page}/tiers/new"
    form = await client.get(new_tier)
    assert pages.text(form.text, "#price-currency") == "JPY"
    assert pages.one(form.text, 'input[name="price"]')["inputmode"] == "numeric"
    refused = await _submit(client, new_tier, new_tier, TIER | {"price": "1500.50"})
    assert _errors(refused) == ["A price in JPY must use whole amounts."]
    too_cheap = await _submit(client, new_tier, new_tier, TIER | {"price": "250"})
    assert _errors(too_cheap) == [
        "A paid ticket must cost at least the platform fee of ¥300 (or be free)."
    ]
    added = await _submit(client, new_tier, new_tier, TIER | {"price": "¥1,500"})
    assert added.status_code == 303, added.text
    tier = await db.scalar(select(TicketTier))
    assert tier is not None
    assert (tier.price_minor, tier.currency) == (1500, "JPY")
    shown = await client.get(event_page)
    assert pages.rows(shown.text, '#tiers tr[data-tier="Floor"]')[0][:2] == ["Floor", "¥1,500"]
    again = await client.get(f"{event_page}/tiers/{tier.id}")
    assert pages.one(again.text, 'input[name="price"]')["value"] == "1500"


async def test_the_currency_changes_with_the_tiers_until_a_ticket_is_sold(
    owner: tuple[Client, Organizer], db: AsyncSession
) -> None:
    client, organizer = owner
    await db.refresh(organizer)
    event = await factories.event(db, org=organizer)
    tier = await factories.tier(db, event=event, name="Floor", price_minor=2500)
    await factories.tier(db, event=event, name="Odd", price_minor=2550)
    await db.commit()
    edit = f"/admin/events/{event.id}"
    fields = {**EVENT, "slug": event.slug}
    refused = await _submit(client, edit, edit, fields | {"currency": "JPY"})
    assert _errors(refused) == [  # the typed numbers stay: 25.00 USD would be ¥25
        "“Floor”: A paid ticket must cost at least the platform fee of ¥300 (or be free).",
        "The price of “Odd” (25.50) has decimals JPY does not have: change it first.",
    ]
    moved = await _submit(client, edit, edit, fields | {"currency": "EUR"})
    assert moved.status_code == 303, moved.text
    event_id, tier_id = event.id, tier.id
    db.expire_all()
    assert sorted(await db.scalars(select(TicketTier.currency))) == ["EUR", "EUR"]
    moved_event, moved_tier = await db.get(Event, event_id), await db.get(TicketTier, tier_id)
    assert moved_event is not None
    assert moved_tier is not None
    assert (moved_event.currency, moved_tier.price_minor) == ("EUR", 2500)
    audited = await db.scalar(
        select(AuditEntry).where(AuditEntry.action == "event.currency_changed")
    )
    assert audited is not None
    assert (audited.actor, audited.details) == (
        "staff@reef.example", {"before": "USD", "after": "EUR"},
    )  # fmt: skip
    await factories.paid_order(db, event=moved_event, tier=moved_tier, quantity=1)
    await db.commit()
    kept = await _submit(client, edit, edit, fields | {"currency": "USD"})
    assert _errors(kept) == [
        "The currency stays EUR: tickets have been sold or are held in a checkout (orders and"
        " refunds are in it)."
    ]


# -- selling through Stripe -----------------------------------------------------------------


@dataclass
class Sale:
    shop: httpx.AsyncClient
    standin: StripeStandin
    settings: Settings
    slug: str
    tier_id: str


@pytest.fixture
async def sale(
    settings: Settings, db: AsyncSession, request: pytest.FixtureRequest
) -> AsyncIterator[Sale]:
    """A live site with fees in USD, EUR and JPY, and a published event of an organizer whose
    Stripe account is in the country given (`JP` by default), in its currency."""
    country, currency, price = getattr(request, "param", ("JP", "JPY", 1500))
    multi = dataclasses.replace(settings, platform_fees=FEES)
    with live_with_stripe(multi) as (thread, live, standin):
        account = standin.create_account(charges_enabled=True, country=country)["id"]
        organizer = await factories.organizer(db)
        organizer.stripe_account_id, organizer.charges_enabled = account, True
        organizer.stripe_currencies = [currency]
        event = await factories.event(db, org=organizer)
        event.currency = currency
        tier = await factories.tier(db, event=event, name="Floor", price_minor=price)
        tier.currency = currency
        await db.commit()
        async with httpx.AsyncClient(base_url=thread.url, timeout=30) as browser:
            yield Sale(browser, standin, live, event.slug, str(tier.id))


async def _buy(sale: Sale, db: AsyncSession, quantity: int) -> Order:
    page = await sale.shop.get(f"/e/{sale.slug}")
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    started = await sale.shop.post(
        f"/e/{sale.slug}/checkout",
        data={**hidden, f"qty-{sale.tier_id}": str(quantity), "email": "kai@example.com"},
    )
    assert started.status_code == 303, started.text
    session_id = started.headers["location"].rsplit("/", 1)[-1]
    sale.standin.complete_session(session_id)
    await sale.standin.settle_async()
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.buyer_email == "kai@example.com"))
    assert order is not None
    assert order.status == "paid"
    return order


async def _csv(sale: Sale, path: str) -> list[dict[str, str]]:
    response = await sale.shop.get(path, headers=BASIC)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_a_yen_event_charges_whole_yen_at_stripe_and_shows_yen_everywhere(
    sale: Sale, db: AsyncSession
) -> None:
    event_page = await sale.shop.get(f"/e/{sale.slug}")
    assert pages.texts(event_page.text, ".price") == ["¥1,500"]
    order = await _buy(sale, db, quantity=2)

    create = next(r for r in sale.standin.requests if r.path == "/v1/checkout/sessions")
    [line] = create.params["line_items"]
    assert (line["price_data"]["currency"], line["price_data"]["unit_amount"]) == ("jpy", 1500)
    assert create.params["payment_intent_data"]["application_fee_amount"] == 600  # ¥300 each
    intent = sale.standin.get(str(order.stripe_payment_intent_id))
    assert (intent["amount"], intent["currency"]) == (3000, "jpy")
    assert (order.currency, order.total_minor, order.fee_minor) == ("JPY", 3000, 600)

    detail = await sale.shop.get(f"/admin/orders/{order.public_id}", headers=BASIC)
    assert detail.status_code == 200, detail.text
    total = pages.terms(detail.text, "dl")["Total"]
    assert total == "¥3,000 (platform fee ¥600, to the organizer ¥2,400)"

    draft = await content.tickets(db, order_id=order.id, settings=sale.settings)
    assert "Total: ¥3,000" in draft.text.splitlines()
    assert "2 x Floor at ¥1,500: ¥3,000" in draft.text.splitlines()

    [row] = await _csv(sale, "/admin/orders.csv")
    assert (row["currency"], row["total_minor"], row["platform_fee_minor"]) == (
        "JPY", "3000", "600",
    )  # fmt: skip
    assert (row["total"], row["platform_fee"], row["refunded"]) == ("3000", "600", "0")


async def test_a_partial_yen_refund_goes_to_stripe_in_whole_yen(
    sale: Sale, db: AsyncSession
) -> None:
    order = await _buy(sale, db, quantity=2)
    order_id, public_id = order.id, order.public_id
    refunded = await sale.shop.post(
        f"/api/v1/admin/orders/{public_id}/refund", json={"amount": 1500}, headers=BASIC
    )
    assert refunded.status_code in (200, 201, 202), refunded.text
    await sale.standin.settle_async()
    create = next(r for r in sale.standin.requests if r.path == "/v1/refunds")
    assert create.params["amount"] == 1500
    db.expire_all()
    again = await db.get(Order, order_id)
    assert again is not None
    assert again.refunded_minor == 1500
    [row] = await _csv(sale, "/admin/refunds.csv")
    assert (row["currency"], row["amount_minor"], row["amount"]) == ("JPY", "1500", "1500")
    detail = await sale.shop.get(f"/admin/orders/{public_id}", headers=BASIC)
    assert pages.texts(detail.text, "tr[data-refund] td:first-child") == ["¥1,500"]


@pytest.mark.parametrize("sale", [("DE", "EUR", 2500)], indirect=True)
async def test_a_euro_event_takes_the_euro_fee(sale: Sale, db: AsyncSession) -> None:
    event_page = await sale.shop.get(f"/e/{sale.slug}")
    assert pages.texts(event_page.text, ".price") == ["€25.00"]
    order = await _buy(sale, db, quantity=3)
    create = next(r for r in sale.standin.requests if r.path == "/v1/checkout/sessions")
    assert create.params["line_items"][0]["price_data"]["currency"] == "eur"
    assert create.params["line_items"][0]["price_data"]["unit_amount"] == 2500
    assert create.params["payment_intent_data"]["application_fee_amount"] == 570  # €1.90 each
    assert (order.currency, order.total_minor, order.fee_minor) == ("EUR", 7500, 570)
    [row] = await _csv(sale, "/admin/orders.csv")
    assert (row["total"], row["platform_fee"]) == ("75.00", "5.70")


async def test_stripe_return_and_account_updated_store_the_currencies_the_account_settles_in(
    sale: Sale, db: AsyncSession
) -> None:
    organizer = await db.scalar(select(Organizer))
    assert organizer is not None
    organizer_id = organizer.id
    organizer.stripe_account_id, organizer.stripe_currencies = None, []
    await db.commit()
    started = await sale.shop.post(
        f"/api/v1/admin/organizers/{organizer_id}/stripe/onboarding", headers=BASIC
    )
    assert started.status_code == 201, started.text
    [created] = [a for a in sale.standin.store.of_kind("account") if a["metadata"]]
    created.update(country="DE", default_currency="eur")  # what the organizer told Stripe
    finished = await sale.shop.post(started.json()["url"])
    returned = await sale.shop.get(finished.headers["location"], headers=BASIC)
    assert returned.status_code == 303
    await sale.standin.settle_async()
    db.expire_all()
    found = await db.get(Organizer, organizer_id)
    assert found is not None
    assert found.stripe_currencies == ["EUR", "CHF", "DKK", "GBP", "SEK", "USD"]
    created.update(country="JP", default_currency="jpy")  # moved: account.updated says so
    sale.standin.set_charges_enabled(created["id"], True)  # emits account.updated
    await sale.standin.settle_async()
    db.expire_all()
    found = await db.get(Organizer, organizer_id)
    assert found is not None
    assert found.stripe_currencies == ["JPY"]


async def test_an_account_in_a_country_stripe_has_no_spec_for_keeps_its_default_currency(
    sale: Sale,
) -> None:
    from api.payments.gateway import StripeGateway

    gateway = StripeGateway(sale.settings)
    try:
        japan = sale.standin.create_account(country="JP")["id"]
        nowhere = sale.standin.create_account(country="AQ")["id"]  # no Country Spec: a 404
        assert (await gateway.account_facts(japan)).currencies == ["JPY"]
        assert (await gateway.account_facts(nowhere)).currencies == ["USD"]
    finally:
        await gateway.aclose()
