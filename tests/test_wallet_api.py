"""The wallet's JSON: an order's passes by its unguessable id, and all of a signed-in buyer's."""

from __future__ import annotations

import secrets

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, OrderStatus, PassStatus
from api.passes import keys, services, tokens
from api.settings import Settings
from tests import factories, pages
from tests.test_accounts import ask_for_link, confirm, latest_link_token

Client = AsyncTestClient[Litestar]


async def sold(
    db: AsyncSession, settings: Settings, *, quantity: int = 2, event_name: str = "Sunset Session"
) -> Order:
    org = await factories.organizer(db, name=f"Organizer of {event_name}")
    event = await factories.event(db, name=event_name, org=org)
    tier = await factories.tier(db, event=event, name="General")
    order = await factories.paid_order(db, event=event, tier=tier, quantity=quantity)
    await services.issue_passes(
        db, order=order, tier_id=tier.id, count=quantity, secret_key=settings.secret_key
    )
    return order


async def test_an_order_lists_its_passes_with_tokens_the_door_accepts(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    order = await sold(db, settings, quantity=2, event_name="Reef Sessions")
    public_id, event_id = order.public_id, order.event_id
    await db.commit()

    response = await client.get(f"/api/v1/orders/{public_id}/passes")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["public_id"] == public_id
    assert body["status"] == "paid"
    assert body["event"]["name"] == "Reef Sessions"
    assert body["event"]["organizer"] == "Organizer of Reef Sessions"
    assert body["event"]["timezone"] == "Pacific/Honolulu"
    assert body["event"]["venue"] == "Pier 3"
    assert body["event"]["starts_at"] < body["event"]["ends_at"]
    public = await keys.event_public_keys(db, event_id=event_id)
    assert [p["tier"] for p in body["passes"]] == ["General", "General"]
    assert {p["status"] for p in body["passes"]} == {"valid"}
    assert all(tokens.verify(p["token"], keys=public).ok for p in body["passes"])


async def test_a_refunded_pass_comes_back_void_without_a_code_to_show(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    order = await sold(db, settings, quantity=2)
    public_id = order.public_id
    first, _ = await services.order_passes(db, order_id=order.id)
    await services.set_status(db, passes=[first], status=PassStatus.void, reason="refunded")
    order.status = OrderStatus.partially_refunded
    first_id = str(first.id)
    await db.commit()

    body = (await client.get(f"/api/v1/orders/{public_id}/passes")).json()

    assert body["status"] == "partially_refunded"
    by_id = {p["id"]: p for p in body["passes"]}
    assert by_id[first_id] == {
        "id": first_id,
        "tier": "General",
        "status": "void",
        "void_reason": "refunded",
        "token": None,
    }
    [other] = [p for p in body["passes"] if p["id"] != first_id]
    assert other["status"] == "valid"
    assert other["token"]


async def test_a_tampered_or_unknown_order_id_is_a_json_404(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    order = await sold(db, settings, quantity=1)
    public_id = order.public_id
    await db.commit()
    tampered = public_id[:-1] + ("A" if public_id[-1] != "A" else "B")

    for wrong in (tampered, secrets.token_urlsafe(16), "short", "x" * 60, "%00" + public_id):
        response = await client.get(f"/api/v1/orders/{wrong}/passes")
        assert response.status_code == 404, wrong
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["detail"].startswith("No order at this link")


async def test_a_signed_out_browser_gets_a_json_401_for_account_passes(client: Client) -> None:
    response = await client.get("/account/passes.json", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Sign in to save your passes to this phone."


async def test_a_signed_in_buyer_gets_every_order_of_theirs_and_nobody_elses(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine = [
        await sold(db, settings, quantity=1, event_name="Full Moon"),
        await sold(db, settings, quantity=2, event_name="Reef Sessions"),
    ]
    theirs = await sold(db, settings, quantity=1, event_name="Someone Else's")
    theirs.buyer_email = "other@example.com"
    pending = await sold(db, settings, quantity=1, event_name="Not Paid")
    pending.status = OrderStatus.pending
    expected = {order.public_id for order in mine}
    await db.commit()
    await ask_for_link(client, "buyer@example.com")
    await confirm(client, await latest_link_token(db, settings))

    response = await client.get("/account/passes.json", headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    orders = response.json()["orders"]
    assert {o["public_id"] for o in orders} == expected
    assert sorted(o["event"]["name"] for o in orders) == ["Full Moon", "Reef Sessions"]
    assert sorted(len(o["passes"]) for o in orders) == [1, 2]
    assert {o["event"]["organizer"] for o in orders} == {
        "Organizer of Full Moon",
        "Organizer of Reef Sessions",
    }


async def test_the_wallet_page_and_its_manifest_are_served_for_installing(client: Client) -> None:
    page = await client.get("/wallet")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    manifest_links = pages.values(page.text, 'head link[rel="manifest"]', "href")
    assert manifest_links == ["/wallet/manifest.webmanifest"]
    manifest = await client.get("/wallet/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["scope"] == "/wallet"
    assert (await client.get("/wallet/")).status_code == 200


async def test_the_passes_page_and_account_offer_saving_to_the_phone(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    order = await sold(db, settings, quantity=1)
    public_id = order.public_id
    await db.commit()
    passes = await client.get(f"/passes/{public_id}")
    save = pages.one(passes.text, "button#wallet-save")
    assert pages.shown(save) == "Save to this phone"
    assert save["data-wallet-source"] == f"/api/v1/orders/{public_id}/passes"
    assert "/pwa/wallet/save.js" in pages.values(passes.text, 'script[type="module"]', "src")
    await ask_for_link(client, "buyer@example.com")
    await confirm(client, await latest_link_token(db, settings))
    account = await client.get("/account")
    save = pages.one(account.text, "button#wallet-save")
    assert pages.shown(save) == "Save all my passes to this phone"
    assert save["data-wallet-source"] == "/account/passes.json"
    assert "/pwa/wallet/save.js" in pages.values(account.text, 'script[type="module"]', "src")
