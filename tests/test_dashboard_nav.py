"""Finding one's way in the dashboard: the navigation on every page shows the sections the
viewer's role opens and marks the current one; the event overview shows sales, the door and
the actions one click away; the orders list searches, filters, pages past 100 and emails the
ticked orders' tickets again."""

from __future__ import annotations

import secrets

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import OPERATOR, Viewer
from api.admin.nav import links_for
from api.db import Event, Order, OrderLine, OrderStatus, OutboxMessage, TicketTier
from api.passes import services as pass_services
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.test_dashboard import _staff, sign_in, two_organizers

Client = AsyncTestClient[Litestar]


def nav(html: str) -> dict[str, str | None]:
    """The navigation's sections, each with its aria-current (None when not current)."""
    found = pages.parse(html).select("nav.admin-nav a[data-nav]")
    return {str(a["data-nav"]): (str(a["aria-current"]) if a.has_attr("aria-current") else None)
            for a in found}  # fmt: skip


async def _mine(db: AsyncSession) -> tuple[Event, TicketTier]:
    event = await db.scalar(select(Event).where(Event.name == "Low Tide"))
    assert event is not None
    tier = await db.scalar(select(TicketTier).where(TicketTier.event_id == event.id))
    assert tier is not None
    return event, tier


async def test_each_role_sees_the_sections_it_may_open_with_the_current_one_marked(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event_id = (await _mine(db))[0].id
    await _staff(db, "lead@reef.example", "door_lead")
    await _staff(db, "manager@reef.example", "manager")

    await sign_in(client, db, settings, "staff@reef.example")
    home = (await client.get("/admin/")).text
    assert nav(home) == {
        "events": "page", "orders": None, "door": None, "reports": None, "members": None,
        "settings": None,
    }  # fmt: skip
    orders = (await client.get("/admin/orders/")).text
    assert nav(orders)["orders"] == "page"
    assert nav(orders)["events"] is None
    door = (await client.get(f"/admin/events/{event_id}/devices")).text
    assert nav(door)["door"] == "true"  # in the section, not its own page
    members = pages.one(home, 'nav.admin-nav a[data-nav="members"]')["href"]
    assert (await client.get(str(members))).status_code == 200
    assert nav((await client.get(str(members))).text)["members"] == "page"
    assert pages.one(home, "nav.admin-nav form[data-sign-out]") is not None

    client.cookies.clear()
    await sign_in(client, db, settings, "manager@reef.example")
    assert list(nav((await client.get("/admin/")).text)) == ["events", "orders", "door", "reports"]

    client.cookies.clear()
    await sign_in(client, db, settings, "lead@reef.example")
    lead_home = (await client.get("/admin/")).text
    assert list(nav(lead_home)) == ["events", "door"]
    assert (await client.get("/admin/exports")).status_code == 403
    door_index = await client.get("/admin/door")
    assert pages.texts(door_index.text, "[data-event] h2") == ["Low Tide"]


async def test_the_event_overview_shows_sales_the_door_and_the_actions_of_the_viewers_role(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event, tier = await _mine(db)
    tier.price_minor = 2500
    await db.execute(
        update(OrderLine).where(OrderLine.tier_id == tier.id).values(unit_price_minor=2500)
    )
    order = await db.scalar(select(Order).where(Order.event_id == event.id))
    assert order is not None
    order.total_minor = 5000
    event_id = event.id
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")

    home = await client.get("/admin/")
    overview_link = pages.one(home.text, "[data-event] h3 a[data-overview]")["href"]
    assert overview_link == f"/admin/events/{event_id}/overview"
    page = (await client.get(str(overview_link))).text
    assert pages.text(page, "h1") == "Low Tide"
    row = '#tier-sales tr[data-tier="Floor"]'
    assert pages.text(page, f'{row} [data-figure="sold"]') == "2"
    assert pages.text(page, f'{row} [data-figure="capacity"]') == "50"
    assert pages.text(page, f'{row} [data-figure="revenue"]') == "$50.00"
    assert pages.text(page, '#glance [data-figure="checked-in"]') == "0 of 0 valid"
    assert pages.texts(page, '#glance [data-figure="inside"]') == ["0"]
    actions = dict(zip(pages.texts(page, "#actions a"), pages.values(page, "#actions a", "href"),
                       strict=True))  # fmt: skip
    assert actions["Edit the event and tiers"] == f"/admin/events/{event_id}"
    assert actions["Orders"] == f"/admin/orders/?event={event_id}"
    assert actions["The door, live"] == f"/admin/events/{event_id}/door"
    assert actions["Pair door phones"] == f"/admin/events/{event_id}/devices"
    for href in actions.values():  # every action leads somewhere
        assert (await client.get(href)).status_code == 200, href
    groups = pages.values(page, "#actions [data-group]", "data-group")
    assert groups == ["Event", "Buyers", "Door", "Reports"]
    assert "Delete this draft" not in actions  # it is published

    await _staff(db, "manager@reef.example", "manager")
    client.cookies.clear()
    await sign_in(client, db, settings, "manager@reef.example")
    managed = (await client.get(f"/admin/events/{event_id}/overview")).text
    assert "Orders" in pages.texts(managed, "#actions a")
    if "Cancel the event" in actions:  # owners only, where the app has the page
        assert "Cancel the event" not in pages.texts(managed, "#actions a")

    await _staff(db, "lead@reef.example", "door_lead")
    client.cookies.clear()
    await sign_in(client, db, settings, "lead@reef.example")
    lead = (await client.get(f"/admin/events/{event_id}/overview")).text
    assert pages.parse(lead).select('[data-figure="revenue"], [data-figure="gross"]') == []
    assert "Orders" not in pages.texts(lead, "#actions a")
    assert "The door, live" in pages.texts(lead, "#actions a")
    theirs = await db.scalar(select(Event.id).where(Event.name == "Secret Gig"))
    assert (await client.get(f"/admin/events/{theirs}/overview")).status_code == 404


async def test_the_orders_list_pages_past_a_hundred_and_filters_by_tier_and_status(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event, tier = await _mine(db)
    deck = await factories.tier(db, event=event, name="Deck")
    orders = [
        Order(public_id=secrets.token_urlsafe(16), event_id=event.id,
              buyer_email=f"guest{n:03}@x.io", status=OrderStatus.paid)
        for n in range(120)
    ]  # fmt: skip
    db.add_all(orders)
    await db.flush()
    db.add_all(OrderLine(order_id=o.id, tier_id=deck.id, quantity=1, unit_price_minor=0)
               for o in orders)  # fmt: skip
    orders[0].status = OrderStatus.refunded
    deck_id, tier_id, reference = deck.id, tier.id, orders[5].reference
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")

    first = (await client.get("/admin/orders/")).text
    assert pages.one(first, "#order-count")["data-total"] == "121"
    assert pages.text(first, "#pager span") == "Page 1 of 3"
    seen: set[str] = set()
    href = "/admin/orders/"
    while True:
        page = (await client.get(href)).text
        seen |= set(pages.values(page, "#orders tr[data-order]", "data-order"))
        following = pages.parse(page).select_one('#pager a[rel="next"]')
        if following is None:
            break
        href = str(following["href"])
    assert len(seen) == 121
    refunded = await client.get(f"/admin/orders/?tier={deck_id}&status=refunded")
    assert [r[3] for r in pages.rows(refunded.text, "#orders tr[data-status]")] == ["guest000@x.io"]
    floor = await client.get(f"/admin/orders/?tier={tier_id}")
    assert [r[3] for r in pages.rows(floor.text, "#orders tr[data-status]")] == ["ana@x.io"]
    by_reference = await client.get(f"/admin/orders/?q={reference.lower()}")
    assert pages.values(by_reference.text, "#orders tr[data-order]", "data-order") == [reference]
    bad = await client.get("/admin/orders/?status=lost")
    assert bad.status_code == 400
    assert "No order status is called 'lost'." in pages.text(bad.text, "[data-error-message]")
    assert (await client.get("/admin/orders/?page=x")).status_code == 400
    assert (await client.get("/admin/orders/?event=nope")).status_code == 400


async def test_ticked_orders_get_their_tickets_again_one_email_each(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event, tier = await _mine(db)
    ana = await db.scalar(select(Order).where(Order.event_id == event.id))
    assert ana is not None
    await pass_services.issue_passes(
        db, order=ana, tier_id=tier.id, count=2, secret_key=settings.secret_key
    )
    empty = await factories.paid_order(db, event=event, tier=tier)  # no pass: nothing to send
    theirs = await db.scalar(select(Order).where(Order.buyer_email == "bo@y.io"))
    assert theirs is not None
    ids = (ana.id, ana.public_id, empty.public_id, theirs.public_id)
    event_id = event.id
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    listing = (await client.get(f"/admin/orders/?event={event_id}")).text
    form = pages.one(listing, "form#bulk-resend")
    assert pages.one(form, 'input[name="event"]')["value"] == str(event_id)

    done = await client.post(
        "/admin/orders/resend",
        data={"_csrf_token": csrf_token(listing), "order": list(ids[1:]), "event": str(event_id)},
    )
    assert done.status_code == 200
    note = pages.one(done.text, "#note")
    assert (note["data-queued"], note["data-nothing-left"]) == ("1", "1")
    assert pages.text(done.text, "#note") == (
        "Tickets queued to be emailed again for 1 order. 1 had no valid ticket left to send."
    )
    assert pages.one(done.text, 'form#bulk-resend input[name="event"]')["value"] == str(event_id)
    jobs = list(
        await db.scalars(
            select(OutboxMessage.payload["order_id"].astext).where(
                OutboxMessage.kind == "resend_tickets"
            )
        )
    )
    assert jobs == [str(ids[0])]  # the other organizer's order was not touched
    nothing = await client.post("/admin/orders/resend", data={"_csrf_token": csrf_token(done.text)})
    assert pages.text(nothing.text, "#note") == "Tick the orders to email again."
    forged = await client.post("/admin/orders/resend", data={"order": ids[1]})
    assert forged.status_code == 403  # no CSRF token
    count = await db.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == "resend_tickets")
    )
    assert count == 1


def test_the_nav_links_an_owners_organizer_or_the_list_of_them_and_the_operator_sees_all() -> None:
    import uuid

    one, two = uuid.uuid4(), uuid.uuid4()
    owner = Viewer(who="o@x.io", organizer_ids=frozenset({one}), money_ids=frozenset({one}),
                   owner_ids=frozenset({one}))  # fmt: skip
    links = {link.section: link for link in links_for(owner, f"/admin/organizers/{one}/audit")}
    assert links["members"].href == f"/admin/organizers/{one}/members"
    assert (links["settings"].href, links["settings"].current) == (
        f"/admin/organizers/{one}/",
        "true",
    )
    both = Viewer(who="o@x.io", organizer_ids=frozenset({one, two}),
                  money_ids=frozenset({one, two}), owner_ids=frozenset({one, two}))  # fmt: skip
    hrefs = {link.section: link.href for link in links_for(both, "/admin/")}
    assert hrefs["members"] == hrefs["settings"] == "/admin/#organizers"
    on_two = {link.section: link.href for link in links_for(both, f"/admin/organizers/{two}/")}
    assert on_two["members"] == f"/admin/organizers/{two}/members"
    operator = links_for(OPERATOR, "/admin/applications/")
    assert [link.section for link in operator] == [
        "events", "orders", "door", "reports", "members", "settings", "applications"
    ]  # fmt: skip
    assert [link.current for link in operator][-1] == "page"
