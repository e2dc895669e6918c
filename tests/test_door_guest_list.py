"""The guest list a door phone searches offline (issue 16, section 3): only phones paired with a
"scan and search" link get names, and none after the event's names are erased."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.services import create_pairing
from api.db import Event, Order, OrderStatus, utcnow
from api.db.orders import order_reference
from api.passes import services as pass_services
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import factories

Client = AsyncTestClient[Litestar]


async def _paired(client: Client, code: str) -> dict[str, str]:
    response = await client.post("/api/v1/scanner/pair", json={"code": code, "name": "Gate"})
    assert response.status_code == 201, response.text
    return {"authorization": f"Bearer {response.json()['token']}"}


async def _event_with_guests(db: AsyncSession, settings: Settings) -> tuple[Event, list[Order]]:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event, name="General")
    orders = []
    for name, email, count in (("Noe Kahale", "noe@example.com", 2), ("Ana Lima", "ana@x.io", 1)):
        order = await factories.paid_order(db, event=event, tier=tier, quantity=count)
        order.buyer_name, order.buyer_email = name, email
        await pass_services.issue_passes(
            db, order=order, tier_id=tier.id, count=count, secret_key=settings.secret_key
        )
        orders.append(order)
    unpaid = await factories.paid_order(db, event=event, tier=tier)
    unpaid.status, unpaid.buyer_name = OrderStatus.pending, "Not Sold"
    return event, orders


async def test_a_scan_and_search_phone_gets_every_sold_pass_by_name_email_and_reference(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, (noe, ana) = await _event_with_guests(db, settings)
    pairing = await create_pairing(db, event_id=event.id, door="Gate", may_search=True)
    await db.commit()
    paired = await client.post("/api/v1/scanner/pair", json={"code": pairing.code, "name": "Gate"})
    assert paired.json()["may_search"] is True
    auth = {"authorization": f"Bearer {paired.json()['token']}"}

    response = await client.get("/api/v1/scanner/guests", headers=auth)

    assert response.status_code == 200, response.text
    body = response.json()
    noe_passes = [pass_key_text(p.pass_key) for p in await pass_services.order_passes(
        db, order_id=noe.id)]  # fmt: skip
    [ana_pass] = [pass_key_text(p.pass_key) for p in await pass_services.order_passes(
        db, order_id=ana.id)]  # fmt: skip
    assert body["guests"] == [
        [ana_pass, "Ana Lima", "ana@x.io", order_reference(ana.id)],
        *[[p, "Noe Kahale", "noe@example.com", order_reference(noe.id)] for p in noe_passes],
    ]
    assert body["erase_at"] == int((event.ends_at + timedelta(hours=24)).timestamp() * 1000)


async def test_a_scan_only_phone_is_told_it_cannot_search_and_gets_no_name(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _ = await _event_with_guests(db, settings)
    pairing = await create_pairing(db, event_id=event.id, door="Gate")
    await db.commit()
    auth = await _paired(client, pairing.code)

    response = await client.get("/api/v1/scanner/guests", headers=auth)

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "This phone was paired to scan only. To find guests by name, pair it with a "
        "“scan and search” link from the organizer."
    )
    assert "Noe" not in response.text


async def test_guest_names_are_withheld_from_24_hours_after_the_event(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _ = await _event_with_guests(db, settings)
    pairing = await create_pairing(db, event_id=event.id, door="Gate", may_search=True)
    await db.commit()
    auth = await _paired(client, pairing.code)
    event.starts_at = utcnow() - timedelta(hours=30)
    event.ends_at = utcnow() - timedelta(hours=24, minutes=1)
    await db.commit()

    response = await client.get("/api/v1/scanner/guests", headers=auth)

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Guest names are erased from door phones 24 hours after the event ends."
    )


async def test_an_unpaired_phone_gets_no_guest_list(client: Client) -> None:
    response = await client.get("/api/v1/scanner/guests", headers={"authorization": "Bearer x"})
    assert response.status_code == 401


def test_an_order_reference_is_eight_crockford_characters_from_the_id_tail() -> None:
    import uuid

    assert order_reference(uuid.UUID(int=0)) == "00000000"
    assert order_reference(uuid.UUID(int=2**40 - 1)) == "ZZZZZZZZ"
    assert order_reference(uuid.UUID(int=(2**40) | 10)) == "0000000A"


async def test_the_buyer_reads_the_order_reference_the_door_searches_by(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    from tests import pages

    _, (noe, _ana) = await _event_with_guests(db, settings)
    await db.commit()
    page = (await client.get(f"/passes/{noe.public_id}")).text
    reference = order_reference(noe.id)
    assert pages.values(page, "#order-reference", "data-reference") == [reference]
    assert pages.text(page, "#order-reference").startswith(f"Order reference {reference}")
