"""The organizer dashboard: staff see their own organizer only; the orders CSV streams."""

from __future__ import annotations

import base64
import csv
import io

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, OrderLine, OrganizerMember, Pass
from api.passes import services as pass_services
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
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


async def anas_free_order(db: AsyncSession, settings: Settings) -> tuple[Order, list[Pass]]:
    """Of `two_organizers`, ana's order at Low Tide made free, with two passes issued (not
    committed yet)."""
    order = await db.scalar(select(Order).where(Order.buyer_email == "ana@x.io"))
    assert order is not None
    order.total_minor = 0
    tier_id = await db.scalar(select(OrderLine.tier_id).where(OrderLine.order_id == order.id))
    assert tier_id is not None
    issued = await pass_services.issue_passes(
        db, order=order, tier_id=tier_id, count=2, secret_key=settings.secret_key
    )
    return order, issued


async def test_staff_see_their_organizers_events_and_figures_only(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    mine, _ = await two_organizers(db)
    await sign_in(client, db, settings, "staff@reef.example")
    page = await client.get("/admin/")
    assert page.status_code == 200
    assert pages.texts(page.text, "[data-event] h3 a") == [mine]
    assert pages.text(page.text, '[data-event] tr[data-tier="Floor"] [data-figure="sold"]') == "2"


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
    page = await client.get("/admin/", headers={"accept": "text/html"}, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/admin/sign-in")
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
    assert sorted(pages.texts(page.text, "[data-event] h3 a")) == sorted([mine, theirs])
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
    # (queued, status, kind, to, subject, attempts, last error): the staff's own sign-in link
    # email is queued too, and is not listed
    assert [row[1:5] for row in pages.rows(page.text, "#outbox tr[data-status]")] == [
        ["kept", "order_confirmation", "ana@x.io", "Your tickets"]
    ]


async def test_double_admissions_and_the_scans_csv_for_the_organizers_event(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    from sqlalchemy import select

    from api.checkin.sync_service import from_millis
    from api.db import Event, Order, Scan, ScannerDevice, TicketTier
    from api.passes import services as pass_services
    from api.passes.tokens import pass_key_text

    await two_organizers(db)
    event = await db.scalar(select(Event).where(Event.name == "Low Tide"))
    other = await db.scalar(select(Event).where(Event.name == "Secret Gig"))
    assert event is not None
    assert other is not None
    event_id, other_id = event.id, other.id
    order = await db.scalar(select(Order).where(Order.event_id == event_id))
    tier = await db.scalar(select(TicketTier).where(TicketTier.event_id == event_id))
    assert order is not None
    assert tier is not None
    [item] = await pass_services.issue_passes(
        db, order=order, tier_id=tier.id, count=1, secret_key=settings.secret_key
    )
    pass_id = pass_key_text(item.pass_key)
    gates = []
    for name in ("Gate A", "Gate B"):
        device = ScannerDevice(event_id=event_id, name=name, token_hash=name.encode().ljust(32))
        db.add(device)
        await db.flush()
        gates.append(device)
    for device, minute in zip(gates, (0, 3), strict=True):
        at = from_millis(1_900_000_000_000 + minute * 60_000)
        db.add(
            Scan(
                event_id=event_id, device_id=device.id, seq=1, pass_key=item.pass_key,
                verdict="admit", admitted=True, door=device.name, vector={}, scanned_at=at,
            )
        )  # fmt: skip
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    page = await client.get(f"/admin/events/{event_id}/conflicts")
    assert page.status_code == 200
    # (pass, kind, first admitted "<time> at <door>", also admitted)
    [row] = pages.rows(page.text, "#conflicts tr[data-kind]")
    assert row[0] == pass_id
    assert row[1] == "conflict"
    assert (row[2].rsplit(" at ", 1)[1], row[3].rsplit(" at ", 1)[1]) == ("Gate A", "Gate B")
    scans = await client.get(f"/admin/events/{event_id}/scans.csv")
    rows = list(csv.DictReader(io.StringIO(scans.content.decode("utf-8-sig"))))
    assert [(r["door"], r["admitted"], r["double_admission"]) for r in rows] == [
        ("Gate A", "yes", ""),
        ("Gate B", "yes", "conflict"),
    ]
    assert (await client.get(f"/admin/events/{other_id}/conflicts")).status_code == 404
    assert (await client.get(f"/admin/events/{other_id}/scans.csv")).status_code == 404


async def test_staff_pair_a_door_phone_and_unpair_it(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    from sqlalchemy import select

    from api.db import Event

    await two_organizers(db)
    event = await db.scalar(select(Event).where(Event.name == "Low Tide"))
    assert event is not None
    event_id = event.id
    await sign_in(client, db, settings, "staff@reef.example")
    page = await client.get(f"/admin/events/{event_id}/devices")
    created = await client.post(
        f"/admin/events/{event_id}/devices/pairing",
        data={"_csrf_token": csrf_token(page.text), "door": "Gate C"},
    )
    code = str(pages.one(created.text, "#pairing-link")["href"]).split("#pair=")[1]
    paired = await client.post("/api/v1/scanner/pair", json={"code": code})
    assert paired.status_code == 201
    token = paired.json()["token"]
    listed = await client.get(f"/admin/events/{event_id}/devices")
    assert pages.one(listed.text, '#devices tr[data-device="Gate C"]')["data-revoked"] == "false"
    device_id = paired.json()["device_id"]
    revoked = await client.post(
        f"/admin/events/{event_id}/devices/{device_id}/revoke",
        data={"_csrf_token": csrf_token(listed.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    boot = await client.get(
        "/api/v1/scanner/bootstrap", headers={"authorization": f"Bearer {token}"}
    )
    assert boot.status_code == 401


async def _staff(db: AsyncSession, email: str, role: str) -> None:
    from sqlalchemy import select

    from api.db import Organizer

    org = await db.scalar(select(Organizer).where(Organizer.name == "Reef Bar"))
    assert org is not None
    db.add(OrganizerMember(organizer_id=org.id, email=email, role=role))
    await db.commit()


async def _form_token(client: Client, path: str) -> str:
    return csrf_token((await client.get(path)).text)


async def test_orders_are_searchable_and_another_organizers_order_is_a_404(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    from sqlalchemy import select

    from api.db import Order

    await two_organizers(db)
    theirs = await db.scalar(select(Order).where(Order.buyer_email == "bo@y.io"))
    assert theirs is not None
    their_id = theirs.public_id
    await sign_in(client, db, settings, "staff@reef.example")
    found = await client.get("/admin/orders/?q=ANA@")
    # (tick box, reference, event, buyer, tickets, total, status)
    assert [row[3] for row in pages.rows(found.text, "#orders tr[data-status]")] == ["ana@x.io"]
    mine = await db.scalar(select(Order).where(Order.buyer_email == "ana@x.io"))
    assert mine is not None
    detail = await client.get(f"/admin/orders/{mine.public_id}")
    payment = pages.terms(detail.text, "#payment")
    assert payment["Paid"] not in ("", "not paid")
    theirs_found = await client.get("/admin/orders/?q=bo@y.io")
    assert pages.rows(theirs_found.text, "#orders tbody tr") == [["No orders found."]]
    assert (await client.get(f"/admin/orders/{their_id}")).status_code == 404


async def test_an_owner_refunds_a_free_order_and_a_door_lead_sees_no_orders_or_money(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    order, _ = await anas_free_order(db, settings)
    public_id, order_id = order.public_id, order.id
    await db.commit()
    await _staff(db, "lead@reef.example", "door_lead")
    await sign_in(client, db, settings, "lead@reef.example")
    # A door lead sees the door (check-ins, devices), never buyers or money.
    home = await client.get("/admin/")
    card = pages.one(home.text, "[data-event]")
    assert pages.text(card, '[data-figure="checked-in"]') == "0"
    figures = pages.values(card, "[data-figure]", "data-figure")
    assert figures == ["checked-in", "sold", "left", "capacity"]  # no gross, fees or net
    assert "The door, live" in pages.texts(card, "a")
    links = pages.values(home.text, "main a", "href")
    assert not [link for link in links if link.startswith("/admin/orders")]
    search = await client.get("/admin/orders/?q=ana")
    assert pages.rows(search.text, "#orders tbody tr") == [["No orders found."]]
    assert "ana@x.io" not in (await client.get("/admin/orders.csv")).text
    assert (await client.get(f"/admin/orders/{public_id}")).status_code == 404
    token = await _form_token(client, "/account")  # the sign-out form carries a token
    refused = await client.post(f"/admin/orders/{public_id}/refund", data={"_csrf_token": token})
    assert refused.status_code == 404
    client.cookies.clear()
    await sign_in(client, db, settings, "staff@reef.example")
    token = await _form_token(client, f"/admin/orders/{public_id}")
    done = await client.post(f"/admin/orders/{public_id}/refund", data={"_csrf_token": token})
    assert pages.text(done.text, "#note") == "Free passes voided."
    db.expire_all()
    statuses = list(await db.scalars(select(Pass.status).where(Pass.order_id == order_id)))
    assert statuses == ["void", "void"]
