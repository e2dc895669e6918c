"""The organizer API (issue 18, section 2): an API key opens one organizer's events, tiers,
orders, passes, check-ins and door figures, page by page, and refunds, resends and checks in
as the dashboard does; another organizer's rows are not there at all."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api.checkin.manual import SOURCE
from api.db import ApiKey, AuditEntry, Event, Order, OutboxMessage, Scan, TicketTier
from api.organizer_api import auth
from api.organizer_api.keys import create_key, revoke_key
from api.passes import services as pass_services
from api.passes.tokens import pass_key_text
from api.settings import Settings
from api.web.observability import scrub
from tests import factories
from tests.shop import Shop, order_state

Client = AsyncTestClient[Litestar]


async def a_key(
    db: AsyncSession, organizer_id: uuid.UUID, scopes: list[str] | None = None
) -> dict[str, str]:
    made = await create_key(
        db, organizer_id=organizer_id, name="Box office", actor="owner@reef.example",
        scopes=scopes or ["read", "orders", "check-in"],
    )  # fmt: skip
    await db.commit()
    return {"Authorization": f"Bearer {made.secret}"}


async def an_event_with_an_order(
    db: AsyncSession, settings: Settings, *, name: str = "Low Tide"
) -> tuple[Event, TicketTier, Order]:
    organizer = await factories.organizer(db)
    event = await factories.event(db, org=organizer, name=name)
    tier = await factories.tier(db, event=event, name="Floor", capacity=50)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=2)
    await pass_services.issue_passes(
        db, order=order, tier_id=tier.id, count=2, secret_key=settings.secret_key
    )
    await db.commit()
    return event, tier, order


async def pages(client: Client, url: str, headers: dict[str, str]) -> list[list[dict[str, Any]]]:
    """Every page of a list, following `next`."""
    found = []
    cursor = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        response = await client.get(url, params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        found.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            return found


async def test_a_key_reads_its_organizers_event_with_tiers_orders_and_passes(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, tier, order = await an_event_with_an_order(db, settings)
    key = await a_key(db, event.organizer_id)

    events = (await client.get("/api/v1/events", headers=key)).json()
    assert [e["name"] for e in events["items"]] == ["Low Tide"]
    assert events["next"] is None
    assert events["items"][0]["url"] == f"{settings.base_url}/e/{event.slug}"

    shown = (await client.get(f"/api/v1/events/{event.id}", headers=key)).json()
    assert [(t["name"], t["capacity"], t["sold"], t["available"]) for t in shown["tiers"]] == [
        ("Floor", 50, 2, 48)
    ]
    tiers = (await client.get(f"/api/v1/events/{event.id}/tiers", headers=key)).json()
    assert [t["id"] for t in tiers["items"]] == [str(tier.id)]

    orders = (await client.get(f"/api/v1/events/{event.id}/orders", headers=key)).json()
    assert [(o["id"], o["reference"], o["status"]) for o in orders["items"]] == [
        (str(order.id), order.reference, "paid")
    ]
    assert orders["items"][0]["lines"] == [
        {"tier_id": str(tier.id), "tier": "Floor", "quantity": 2, "unit_price_minor": 0}
    ]
    one = (await client.get(f"/api/v1/orders/{order.id}", headers=key)).json()
    assert [(p["tier"], p["status"], p["order"]) for p in one["passes"]] == [
        ("Floor", "valid", str(order.id))
    ] * 2
    passes = (await client.get(f"/api/v1/events/{event.id}/passes", headers=key)).json()
    assert sorted(p["id"] for p in passes["items"]) == sorted(p["id"] for p in one["passes"])

    paid = await client.get(f"/api/v1/events/{event.id}/orders?status=paid", headers=key)
    refunded = await client.get(f"/api/v1/events/{event.id}/orders?status=refunded", headers=key)
    assert (len(paid.json()["items"]), refunded.json()["items"]) == (1, [])


async def test_another_organizers_event_and_order_are_not_found(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _, _ = await an_event_with_an_order(db, settings, name="Mine")
    theirs, _, their_order = await an_event_with_an_order(db, settings, name="Theirs")
    key = await a_key(db, mine.organizer_id)

    listed = (await client.get("/api/v1/events", headers=key)).json()
    assert [e["name"] for e in listed["items"]] == ["Mine"]
    for url in (
        f"/api/v1/events/{theirs.id}",
        f"/api/v1/events/{theirs.id}/orders",
        f"/api/v1/events/{theirs.id}/passes",
        f"/api/v1/events/{theirs.id}/checkins",
        f"/api/v1/events/{theirs.id}/door",
        f"/api/v1/orders/{their_order.id}",
        f"/api/v1/orders/{their_order.public_id}",
    ):
        response = await client.get(url, headers=key)
        assert response.status_code == 404, url
    resend = await client.post(f"/api/v1/orders/{their_order.public_id}/resend", headers=key)
    assert resend.status_code == 404


async def test_orders_come_page_by_page_and_one_placed_meanwhile_comes_once_at_the_end(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, tier, first = await an_event_with_an_order(db, settings)
    for _ in range(6):
        await factories.paid_order(db, event=event, tier=tier)
    await db.commit()
    key = await a_key(db, event.organizer_id)
    url = f"/api/v1/events/{event.id}/orders"

    start = (await client.get(url, params={"limit": "3"}, headers=key)).json()
    assert len(start["items"]) == 3
    late = await factories.paid_order(db, event=event, tier=tier)
    await db.commit()
    rest = await pages(client, url, key)  # from the start again, with the new order in
    seen = [o["id"] for page in rest for o in page]
    assert [len(page) for page in rest] == [3, 3, 2]
    assert seen[0] == str(first.id)
    assert seen[-1] == str(late.id)
    assert len(set(seen)) == 8
    # Paging on from the first page's cursor finds every other order once, the new one last.
    after = (await client.get(url, params={"cursor": start["next"]}, headers=key)).json()
    assert [o["id"] for o in start["items"] + after["items"]] == seen


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"cursor": "not a cursor!"}, "cursor"),
        ({"cursor": "AAAA"}, "cursor"),
        ({"limit": "201"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"status": "lost"}, "status"),
        ({"statuss": "paid"}, "Unknown query parameter: statuss (this call takes status, cursor"),
    ],
)
async def test_a_malformed_page_request_is_a_400_that_says_why(
    client: Client, db: AsyncSession, settings: Settings, query: dict[str, str], words: str
) -> None:
    event, _, _ = await an_event_with_an_order(db, settings)
    key = await a_key(db, event.organizer_id)
    response = await client.get(f"/api/v1/events/{event.id}/orders", params=query, headers=key)
    assert response.status_code == 400
    assert words in str(response.json())


async def test_a_check_in_by_the_api_is_the_dashboards_scan_and_is_not_recorded_twice(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _, order = await an_event_with_an_order(db, settings)
    key = await a_key(db, event.organizer_id)
    pass_id = pass_key_text((await pass_services.order_passes(db, order_id=order.id))[0].pass_key)
    url = f"/api/v1/events/{event.id}/passes/{pass_id}/check-in"

    first = await client.post(url, headers=key)
    assert first.status_code == 200, first.text
    assert first.json() == {"recorded": True, "code": "admit", "message": "Admit"}
    again = (await client.post(url, headers=key)).json()
    assert (again["recorded"], again["code"]) == (False, "already_scanned")
    assert again["message"].startswith("Already scanned")

    scans = list(await db.scalars(select(Scan).where(Scan.event_id == event.id)))
    assert [(s.extra.get("source"), s.admitted) for s in scans] == [(SOURCE, True)]
    listed = (await client.get(f"/api/v1/events/{event.id}/checkins", headers=key)).json()
    assert [(c["pass_id"], c["source"], c["door"]) for c in listed["items"]] == [
        (pass_id, "dashboard", "Dashboard")
    ]
    door = (await client.get(f"/api/v1/events/{event.id}/door", headers=key)).json()
    assert (door["sold"], door["checked_in"]) == (2, 1)
    audited = await db.scalar(select(AuditEntry).where(AuditEntry.action == "checkin.dashboard"))
    assert audited is not None
    assert audited.actor.startswith("API key Box office (ptx_")

    unknown = await client.post(
        f"/api/v1/events/{event.id}/passes/{'A' * 18}/check-in", headers=key
    )
    assert unknown.status_code == 404
    malformed = await client.post(f"/api/v1/events/{event.id}/passes/abc/check-in", headers=key)
    assert malformed.status_code == 400


async def test_resend_queues_the_tickets_and_a_free_orders_refund_cancels_it(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _, order = await an_event_with_an_order(db, settings)
    key = await a_key(db, event.organizer_id)

    resent = await client.post(f"/api/v1/orders/{order.id}/resend", headers=key)
    assert resent.status_code == 202, resent.text
    assert resent.json()["detail"] == "The tickets go to buyer@example.com again."
    queued = await db.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.payload["order_id"].astext == str(order.id))
    )  # fmt: skip
    assert queued == 1

    refunded = await client.post(f"/api/v1/orders/{order.id}/refund", json={}, headers=key)
    assert refunded.status_code == 202, refunded.text
    assert refunded.json()["status"] == "cancelled"
    shown = (await client.get(f"/api/v1/orders/{order.id}", headers=key)).json()
    assert [p["status"] for p in shown["passes"]] == ["void", "void"]
    nothing_left = await client.post(f"/api/v1/orders/{order.id}/resend", headers=key)
    assert nothing_left.status_code == 409
    actions = ["tickets.resent", "refund.requested"]
    actors = set(await db.scalars(select(AuditEntry.actor).where(AuditEntry.action.in_(actions))))
    assert len(actors) == 1
    assert actors.pop().startswith("API key Box office")


async def test_a_read_only_key_never_sees_the_buyers_passes_link_an_orders_key_does(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    """`/passes/{public id}` shows the QR codes to whoever has it: a key that may only read
    (a reporting tool, a spreadsheet) must not be able to walk anyone in."""
    event, _, order = await an_event_with_an_order(db, settings)
    read_only = await a_key(db, event.organizer_id, scopes=["read"])
    orders_key = await a_key(db, event.organizer_id, scopes=["read", "orders"])
    reads = [
        f"/api/v1/events/{event.id}/orders",
        f"/api/v1/orders/{order.id}",
        f"/api/v1/events/{event.id}/passes",
        f"/api/v1/events/{event.id}/checkins",
        f"/api/v1/events/{event.id}",
    ]
    for url in reads:
        response = await client.get(url, headers=read_only)
        assert response.status_code == 200, url
        assert order.public_id not in response.text, url  # nowhere, under any field
    listed = (await client.get(reads[0], headers=read_only)).json()["items"]
    assert [(o["id"], o["passes_url"]) for o in listed] == [(str(order.id), None)]
    passes_link = f"{settings.base_url}/passes/{order.public_id}"
    listed = (await client.get(reads[0], headers=orders_key)).json()["items"]
    assert [o["passes_url"] for o in listed] == [passes_link]
    one = (await client.get(reads[1], headers=orders_key)).json()
    assert one["passes_url"] == passes_link
    # the link's public id still names the order to a key that holds it
    by_link = await client.get(f"/api/v1/orders/{order.public_id}", headers=read_only)
    assert (by_link.status_code, by_link.json()["id"]) == (200, str(order.id))


async def test_a_key_without_the_scope_is_refused_and_a_missing_or_revoked_one_unknown(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _, order = await an_event_with_an_order(db, settings)
    read_only = await a_key(db, event.organizer_id, scopes=["read"])
    door_only = await a_key(db, event.organizer_id, scopes=["check-in"])

    refund = await client.post(f"/api/v1/orders/{order.public_id}/refund", json={},
                               headers=read_only)  # fmt: skip
    assert refund.status_code == 403
    assert "needs the `orders` scope" in refund.json()["detail"]
    listing = await client.get("/api/v1/events", headers=door_only)
    assert listing.status_code == 403

    for headers in ({}, {"Authorization": "Bearer ptx_nope"}, {"Authorization": "Basic eDp5"}):
        response = await client.get("/api/v1/events", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    key = await db.scalar(select(ApiKey).where(ApiKey.scopes == ["read"]))
    assert key is not None
    await revoke_key(db, organizer_id=event.organizer_id, key_id=key.id, actor="owner@x.io")
    await db.commit()
    revoked = await client.get("/api/v1/events", headers=read_only)
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]


async def test_a_key_past_its_allowance_is_told_when_to_come_back(
    client: Client, db: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    event, _, _ = await an_event_with_an_order(db, settings)
    key = await a_key(db, event.organizer_id)
    other = await a_key(db, event.organizer_id)
    monkeypatch.setattr(auth, "PER_MINUTE", 2)
    statuses = [(await client.get("/api/v1/events", headers=key)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = await client.get("/api/v1/events", headers=key)
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert (await client.get("/api/v1/events", headers=other)).status_code == 200  # per key


async def test_the_openapi_schema_documents_every_organizer_operation_with_an_example(
    client: Client,
) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "organizer" in operation.get("tags", [])
    }
    assert set(operations) == {
        "GET /api/v1/events", "GET /api/v1/events/{event_id}",
        "GET /api/v1/events/{event_id}/tiers", "GET /api/v1/events/{event_id}/orders",
        "GET /api/v1/events/{event_id}/passes", "GET /api/v1/events/{event_id}/checkins",
        "GET /api/v1/events/{event_id}/door", "GET /api/v1/orders/{order_id}",
        "POST /api/v1/orders/{order_id}/refund", "POST /api/v1/orders/{order_id}/resend",
        "POST /api/v1/events/{event_id}/passes/{pass_id}/check-in",
    }  # fmt: skip
    assert "organizerKey" in schema["components"]["securitySchemes"]
    for label, operation in operations.items():
        assert operation["security"] == [{"organizerKey": []}], label
        success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
        assert success["content"]["application/json"]["examples"], label
        assert {"401", "403", "404", "429"} <= set(operation["responses"]), label


async def test_a_key_is_cut_out_of_log_lines_and_sentry_events(
    db: AsyncSession, settings: Settings
) -> None:
    event, _, _ = await an_event_with_an_order(db, settings)
    secret = (await a_key(db, event.organizer_id))["Authorization"].removeprefix("Bearer ")
    said = scrub(f"a client pasted {secret} into a query: /api/v1/events?key={secret}")
    assert secret not in said
    assert said.startswith("a client pasted [scrubbed] into a query")


async def test_a_paid_orders_refund_goes_through_stripe_and_the_webhook_voids_its_passes(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    order = await db.scalar(
        select(Order).where(Order.public_id == public_id).options(selectinload(Order.event))
    )
    assert order is not None
    key = await a_key(db, order.event.organizer_id, scopes=["orders"])

    response = await shop.browser.post(
        f"/api/v1/orders/{public_id}/refund", json={"reason": "asked"}, headers=key
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "requested"
    refund_call = next(r for r in shop.standin.requests if r.path == "/v1/refunds")
    assert refund_call.params["reverse_transfer"] is True
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void", "void"])
