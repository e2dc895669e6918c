"""The organizer dashboard: staff see their own organizer only; the orders CSV streams."""

from __future__ import annotations

import base64
import csv
import io

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import OrganizerMember
from api.settings import Settings
from tests import factories
from tests.test_accounts import ask_for_link, confirm, latest_link_token

Client = AsyncTestClient[Litestar]


async def sign_in(client: Client, db: AsyncSession, settings: Settings, email: str) -> None:
    await ask_for_link(client, email)
    token = await latest_link_token(db, settings)
    status, location, _ = await confirm(client, token)
    assert (status, location) == (303, "/admin")


async def two_organizers(db: AsyncSession) -> tuple[str, str]:
    mine = await factories.organizer(db, name="Reef Bar")
    theirs = await factories.organizer(db, name="Other Venue")
    db.add(OrganizerMember(organizer_id=mine.id, email="staff@reef.example", role="owner"))
    for org, name, email in ((mine, "Low Tide", "ana@x.io"), (theirs, "Secret Gig", "bo@y.io")):
        event = await factories.event(db, name=name, org=org)
        tier = await factories.tier(db, event=event, name="Floor", capacity=50)
        order = await factories.paid_order(db, event=event, tier=tier, quantity=2)
        order.buyer_email = email
    await db.commit()
    return "Low Tide", "Secret Gig"


async def test_staff_see_their_organizers_events_and_figures_only(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, theirs = await two_organizers(db)
    await sign_in(client, db, settings, "staff@reef.example")
    page = await client.get("/admin/")
    assert page.status_code == 200
    assert mine in page.text
    assert theirs not in page.text
    assert 'data-figure="sold">2<' in page.text


async def test_the_orders_csv_has_the_buyers_and_nothing_of_other_organizers(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    await sign_in(client, db, settings, "staff@reef.example")
    response = await client.get("/admin/orders.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["buyer_email"], r["tickets"], r["status"]) for r in rows] == [
        ("ana@x.io", "Floor x2", "paid")
    ]


async def test_without_a_session_the_dashboard_asks_to_sign_in(client: Client) -> None:
    page = await client.get("/admin/", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login")
    assert (await client.get("/admin/orders.csv")).status_code == 401


async def test_the_operator_sees_every_organizer(
    app: Litestar, db: AsyncSession, settings: Settings
) -> None:
    import dataclasses

    from api.app import create_app

    mine, theirs = await two_organizers(db)
    operator = dataclasses.replace(settings, admin_username="op", admin_password="pw-long-enough")
    basic = base64.b64encode(b"op:pw-long-enough").decode()
    async with AsyncTestClient(app=create_app(operator)) as client:
        page = await client.get("/admin/", headers={"authorization": f"Basic {basic}"})
        wrong = await client.get("/admin/", headers={"authorization": "Basic b3A6bm8="})
    assert mine in page.text
    assert theirs in page.text
    assert wrong.status_code == 401


async def test_kept_emails_show_in_the_outbox_view_but_sign_in_links_never_do(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    from sqlalchemy import select

    from api.db import Order, OutboxMessage, utcnow

    await two_organizers(db)
    for order in (await db.scalars(select(Order))).all():
        payload = {"order_id": str(order.id), "to": order.buyer_email, "subject": "Your tickets"}
        db.add(
            OutboxMessage(
                kind="order_confirmation", status="kept", available_at=utcnow(), payload=payload
            )
        )
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    page = await client.get("/admin/outbox")
    assert page.status_code == 200
    assert "ana@x.io" in page.text
    assert "bo@y.io" not in page.text
    assert "login_link" not in page.text
    assert "staff@reef.example</td>" not in page.text
