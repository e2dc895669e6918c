"""Comps keep attendee details like a sale (issue 17): when the event asks a name per ticket or
questions, staff issuing a guest's passes are asked them per pass (the guest's name filled in,
questions optional for staff, answers checked as a buyer's are), and a CSV guest list names each
pass after its `name` column. The names reach the passes and the dashboard's order page."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Attendee, Event, Order, Pass
from tests import pages
from tests.shop import Shop
from tests.test_after_sale_pages import _event_id, _import, _post
from tests.test_attendee_details import add_question, form_of


async def _asking(db: AsyncSession, shop: Shop) -> tuple[uuid.UUID, uuid.UUID]:
    """The shop's event asks a name per ticket (required), a diet (required) and a shirt size
    (a choice, optional); returns the two questions' ids."""
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    event.attendee_names = "required"
    diet = await add_question(db, event.id, "Diet", required=True)
    shirt = await add_question(db, event.id, "Shirt", "choice", options=["S", "M"], position=1)
    ids = diet.id, shirt.id
    await db.commit()
    return ids


async def _holders(db: AsyncSession, buyer_name: str) -> list[tuple[str, dict[str, str]]]:
    """(name, answers) of each pass of the comp issued to `buyer_name`, in seat order."""
    db.expire_all()
    rows = await db.execute(
        select(Attendee.name, Attendee.answers)
        .join(Order, Order.id == Attendee.order_id)
        .join(Pass, Pass.id == Attendee.pass_id)
        .where(Order.buyer_name == buyer_name)
        .order_by(Attendee.seat)
    )
    return [(name, dict(answers)) for name, answers in rows]


async def test_staff_name_each_pass_of_a_comp_and_may_leave_a_required_question_blank(
    shop: Shop, db: AsyncSession
) -> None:
    diet, shirt = await _asking(db, shop)
    await shop.staff_signs_in(db, "owner@venue.example")
    url = f"/admin/events/{await _event_id(db, shop)}/comps"
    guest = {"name": "Dana Guest", "email": "", "tier": str(shop.tier_id), "quantity": "2"}

    asked = await _post(shop, url, url, guest)
    assert asked.status_code == 200
    tickets = pages.parse(asked.text).select("#comp-details fieldset[data-ticket]")
    assert [t["data-ticket"] for t in tickets] == ["VIP 1", "VIP 2"]
    sent = form_of(asked.text, "#comp-details")
    names = [key for key in sent if key.endswith("-name")]
    assert [sent[key] for key in names] == ["Dana Guest", "Dana Guest"]
    assert await db.scalar(select(Order.id).where(Order.buyer_name == "Dana Guest")) is None

    second = names[1].removesuffix("name")
    blank_name = await shop.browser.post(url, data=sent | {names[1]: " ", f"{second}{shirt}": "XL"})
    assert blank_name.status_code == 400
    refused = pages.values(blank_name.text, "[data-field-error]", "data-field-error")
    assert refused == [names[1], f"{second}{shirt}"]  # a name is still required; XL is no answer
    assert await db.scalar(select(Order.id).where(Order.buyer_name == "Dana Guest")) is None

    sent |= {
        names[1]: "Eli Kai",
        f"{second}{shirt}": "M",
        f"{names[0].removesuffix('name')}{diet}": "Vegan",
    }
    issued = await shop.browser.post(url, data=sent)
    assert issued.status_code == 200, issued.text
    assert pages.text(issued.text, "#note").startswith("Issued 2 VIP passes to Dana Guest.")
    assert pages.texts(issued.text, "[data-comp-status]") == ["issued"]  # not "paid": a comp
    # The second pass's diet, a required question, was left blank by staff.
    assert await _holders(db, "Dana Guest") == [
        ("Dana Guest", {str(diet): "Vegan"}),
        ("Eli Kai", {str(shirt): "M"}),
    ]
    public_id = await db.scalar(select(Order.public_id).where(Order.buyer_name == "Dana Guest"))
    order_page = await shop.browser.get(f"/admin/orders/{public_id}")
    assert pages.texts(order_page.text, "#attendees [data-attendee-name]") == [
        "Dana Guest",
        "Eli Kai",
    ]


async def test_a_guest_list_names_every_pass_it_issues_after_its_name_column(
    shop: Shop, db: AsyncSession
) -> None:
    await _asking(db, shop)
    await shop.staff_signs_in(db, "owner@venue.example")
    url = f"/admin/events/{await _event_id(db, shop)}/comps"
    imported: httpx.Response = await _import(shop, url, "name,quantity\nIda Lee,2\nJo,1\n")
    assert imported.status_code == 200, imported.text
    assert pages.one(imported.text, "#import-report")["data-issued"] == "2"
    assert await _holders(db, "Ida Lee") == [("Ida Lee", {}), ("Ida Lee", {})]
    assert await _holders(db, "Jo") == [("Jo", {})]
