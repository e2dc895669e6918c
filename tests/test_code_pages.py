"""Codes in the dashboard (issue 17, "Codes"): an organizer adds, changes, deactivates and lists
an event's codes with their uses, hides tiers behind them, and sees a discounted order on its
order page and in the orders export."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from dataclasses import dataclass

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, OrganizerMember
from api.settings import Settings
from tests import factories
from tests.forms import csrf_token
from tests.pages import one, parse, text, texts
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]


@dataclass(frozen=True)
class Shown:
    """The event's ids as plain values (signing in expires what the session loaded)."""

    id: uuid.UUID
    slug: str
    floor: uuid.UUID
    deck: uuid.UUID


async def _event(db: AsyncSession, *, role: str = "owner") -> Shown:
    """An event with Floor ($20) and Deck ($50), whose organizer has staff@reef.example."""
    organizer = await factories.organizer(db)
    db.add(OrganizerMember(organizer_id=organizer.id, email="staff@reef.example", role=role))
    event = await factories.event(db, org=organizer)
    floor = await factories.tier(db, event=event, name="Floor", price_minor=2000)
    deck = await factories.tier(db, event=event, name="Deck", price_minor=5000)
    floor.position, deck.position = 1, 2
    await db.commit()
    return Shown(event.id, event.slug, floor.id, deck.id)


async def _submit(
    client: Client, path: str, action: str, data: dict[str, object]
) -> tuple[int, str]:
    page = await client.get(path)
    response = await client.post(
        action, data={"_csrf_token": csrf_token(page.text), **data}, follow_redirects=True
    )
    return response.status_code, response.text


async def test_an_owner_adds_a_code_for_chosen_tiers_and_sees_it_listed_with_its_uses(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db)
    await sign_in(client, db, settings, "staff@reef.example")
    edit = await client.get(f"/admin/events/{event.id}")
    assert one(edit.text, "#codes-link")["href"] == f"/admin/events/{event.id}/codes"
    path = f"/admin/events/{event.id}/codes"
    status, page = await _submit(client, path, path + "/", {
        "code": "summer-25", "kind": "percent", "percent": "25", "applies": "chosen",
        "tier": str(event.floor), "max_uses": "2", "starts_at": "", "ends_at": "2030-01-01T18:00",
    })  # fmt: skip
    assert status == 200
    row = one(page, 'tr[data-code="SUMMER-25"]')
    assert texts(row, "td")[:5] == [
        "SUMMER-25", "25% off", "Floor", "0 of 2", "until Tuesday, January 1, 2030 · 6:00 PM HST"
    ]  # fmt: skip
    assert row["data-active"] == "yes"

    # The buyer's page now takes it: Floor at $15.00, Deck untouched.
    buyer = await client.get(f"/e/{event.slug}?code=Summer-25")
    assert one(buyer.text, '[data-tier="Floor"] .price')["data-price"] == "1500"
    assert one(buyer.text, '[data-tier="Deck"] .price')["data-price"] == "5000"


async def test_a_code_form_that_cannot_be_saved_lists_every_reason(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db)
    await sign_in(client, db, settings, "staff@reef.example")
    path = f"/admin/events/{event.id}/codes"
    page = await client.get(path)
    response = await client.post(path + "/", data={
        "_csrf_token": csrf_token(page.text), "code": "no spaces!", "kind": "percent",
        "percent": "150", "applies": "chosen", "max_uses": "0",
        "starts_at": "2030-01-02T10:00", "ends_at": "2030-01-01T10:00",
    })  # fmt: skip
    assert response.status_code == 400
    assert texts(response.text, "#errors li") == [
        "A code is 1 to 40 letters, digits, dashes or underscores, starting with a letter or"
        " digit (buyers may type it in any case).",
        "The percentage off is a whole number from 1 to 100.",
        "Tick the tiers the code is for (or choose every tier).",
        "The limit is a whole number of orders (empty: no limit).",
        "A code must stop being valid after it starts.",
    ]
    assert one(response.text, '#code-form input[name="code"]')["value"] == "no spaces!"

    await _submit(client, path, path + "/", {"code": "VIP", "kind": "none"})
    status, again = await _submit(client, path, path + "/", {"code": "vip", "kind": "none"})
    assert status == 400
    assert texts(again, "#errors li") == ["This event already has a code VIP."]


async def test_a_deactivated_code_is_refused_on_the_event_page_until_activated_again(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db)
    await sign_in(client, db, settings, "staff@reef.example")
    path = f"/admin/events/{event.id}/codes"
    await _submit(client, path, path + "/", {"code": "HALF", "kind": "percent", "percent": "50"})
    page = (await client.get(path)).text
    action = one(page, 'tr[data-code="HALF"] form')["action"]
    assert str(action).endswith("/deactivate")
    _status, after = await _submit(client, path, str(action), {})
    assert one(after, 'tr[data-code="HALF"]')["data-active"] == "no"
    buyer = (await client.get(f"/e/{event.slug}?code=HALF")).text
    assert text(buyer, "#code-error") == "“HALF” is not a valid code for this event."

    action = one(after, 'tr[data-code="HALF"] form')["action"]
    await _submit(client, path, str(action), {})
    buyer = (await client.get(f"/e/{event.slug}?code=HALF")).text
    assert one(buyer, "#code-applied")["data-code"] == "HALF"


async def test_a_code_used_already_keeps_a_limit_no_lower_than_its_uses(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db)
    await sign_in(client, db, settings, "staff@reef.example")
    path = f"/admin/events/{event.id}/codes"
    await _submit(client, path, path + "/", {"code": "COMP", "kind": "amount", "amount": "20"})
    page = (await client.get(path)).text
    change = str(one(page, 'tr[data-code="COMP"] a')["href"])
    for n in range(3):
        await _buy(client, event, "COMP", f"b{n}@example.com")
    page = (await client.get(path)).text
    assert text(page, 'tr[data-code="COMP"] [data-uses-shown]') == "3"
    edit = (await client.get(change)).text
    assert one(edit, '#code-form input[name="amount"]')["value"] == "20.00"
    status, refused = await _submit(client, change, change, {
        "code": "COMP", "kind": "amount", "amount": "20", "max_uses": "2"})  # fmt: skip
    assert status == 400
    assert texts(refused, "#errors li") == [
        "COMP was used 3 times already: the limit can't be lower."
    ]


async def _buy(client: Client, event: Shown, code: str, email: str) -> None:
    """A buyer takes one ticket with the code from the event page (a code making it free: these
    tests have no Stripe)."""
    page = (await client.get(f"/e/{event.slug}?code={code}")).text
    hidden = {str(t["name"]): str(t["value"]) for t in parse(page).select(
        'form[action$="/checkout"] input[type="hidden"]')}  # fmt: skip
    response = await client.post(
        f"/e/{event.slug}/checkout",
        data={**hidden, f"qty-{event.floor}": "1", "email": email},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


async def test_hidden_tiers_leave_the_event_page_and_come_back_with_a_code(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db)
    await sign_in(client, db, settings, "staff@reef.example")
    path = f"/admin/events/{event.id}/codes"
    await _submit(client, path, path + "/hidden-tiers", {"hidden": str(event.deck)})
    deckhand = {"code": "DECKHAND", "kind": "none", "applies": "chosen", "tier": str(event.deck)}
    await _submit(client, path, path + "/", deckhand)
    edit = (await client.get(f"/admin/events/{event.id}")).text
    assert one(edit, 'tr[data-tier="Deck"] [data-hidden]')
    event_cache = client.app.state.event_cache
    event_cache._items.clear()  # the public page's one-second snapshot
    assert texts((await client.get(f"/e/{event.slug}")).text, "[data-tier] strong") == ["Floor"]
    page = (await client.get(f"/e/{event.slug}?code=deckhand")).text
    assert texts(page, "[data-tier] strong") == ["Floor", "Deck"]
    assert text(page, "#code-applied").startswith("Code DECKHAND applied: access to tickets")


async def test_a_door_lead_cannot_open_codes_and_another_organizer_gets_a_404(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db, role="door_lead")
    other = (await factories.event(db)).id
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    assert (await client.get(f"/admin/events/{event.id}/codes")).status_code == 403
    assert (await client.get(f"/admin/events/{other}/codes")).status_code == 404


async def test_the_order_page_and_the_orders_export_show_the_code_and_its_discount(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await _event(db)
    await sign_in(client, db, settings, "staff@reef.example")
    path = f"/admin/events/{event.id}/codes"
    await _submit(client, path, path + "/", {"code": "GUEST", "kind": "percent", "percent": "100"})
    await _buy(client, event, "GUEST", "guest@example.com")
    order = await db.scalar(select(Order).where(Order.buyer_email == "guest@example.com"))
    assert order is not None
    page = (await client.get(f"/admin/orders/{order.public_id}")).text
    shown = one(page, "#order-code")
    assert (shown["data-code"], shown["data-discount"]) == ("GUEST", "2000")
    assert text(page, "#order-code") == "GUEST: $20.00 off (free with the code)"

    export = await client.get("/admin/export.zip")
    with zipfile.ZipFile(io.BytesIO(export.content)) as opened:
        name = next(n for n in opened.namelist() if n.startswith("orders"))
        rows = list(csv.DictReader(io.StringIO(opened.read(name).decode("utf-8-sig"))))
    [row] = [r for r in rows if r["buyer_email"] == "guest@example.com"]
    assert (row["code"], row["discount_minor"], row["total_minor"]) == ("GUEST", "2000", "0")
