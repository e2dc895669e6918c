"""One currency for every ticket until multi-currency is built (issue 14 item 15): the platform
fee is minor units of PLATFORM_CURRENCY, so a € or ¥ tier would take 200 of its own units."""

from __future__ import annotations

import dataclasses

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import TicketTier
from api.demo import load_demo
from api.events.tiers import TierError, check_tier
from api.settings import Settings, SettingsError
from tests.forms import csrf_token
from tests.test_dashboard import sign_in, two_organizers
from tests.test_dashboard_events import TIER, _ids

Client = AsyncTestClient[Litestar]


async def test_a_euro_tier_is_refused_saying_which_currency_the_site_sells_in(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    mine, floor, _, _ = await _ids(db)
    await sign_in(client, db, settings, "staff@reef.example")
    for path in (f"/admin/events/{mine}/tiers/new", f"/admin/events/{mine}/tiers/{floor}"):
        page = await client.get(path)
        response = await client.post(
            path,
            data={"_csrf_token": csrf_token(page.text), **TIER, "name": "Deck", "currency": "eur"},
        )
        assert response.status_code == 400, path
        errors = BeautifulSoup(response.text, "html.parser").select_one("#errors")
        assert errors is not None
        assert "sold in USD only; EUR is not available" in errors.get_text()
    db.expire_all()
    currencies = list(await db.scalars(select(TicketTier.currency)))
    assert currencies == ["USD", "USD"]


async def test_the_new_tier_form_offers_the_platform_currency(
    db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    mine, _, _, _ = await _ids(db)
    euro = dataclasses.replace(settings, platform_currency="EUR")
    async with AsyncTestClient(app=create_app(euro)) as client:
        await sign_in(client, db, euro, "staff@reef.example")
        page = await client.get(f"/admin/events/{mine}/tiers/new")
        box = BeautifulSoup(page.text, "html.parser").select_one('input[name="currency"]')
        assert box is not None
        assert box["value"] == "EUR"


def test_check_tier_refuses_any_currency_but_the_platforms() -> None:
    with pytest.raises(TierError, match="sold in JPY only; USD is not available"):
        check_tier(name="Deck", price_minor=2500, capacity=10, currency="USD", fee_minor=200,
                   platform_currency="JPY")  # fmt: skip
    check_tier(name="Deck", price_minor=2500, capacity=10, currency="JPY", fee_minor=200,
               platform_currency="JPY")  # fmt: skip


def test_platform_currency_must_be_a_currency_code() -> None:
    with pytest.raises(SettingsError, match="PLATFORM_CURRENCY"):
        Settings.from_env({"PLATFORM_CURRENCY": "euro", "ENVIRONMENT": "test"})


async def test_the_demo_is_priced_in_the_platform_currency(
    db: AsyncSession, settings: Settings
) -> None:
    await load_demo(db, base_url="http://demo", secret_key=settings.secret_key, currency="EUR")
    await db.commit()
    assert set(await db.scalars(select(TicketTier.currency))) == {"EUR"}
