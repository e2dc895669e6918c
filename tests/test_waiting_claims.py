"""A waiting-list offer is claimed the way the event page's checkout buys (issue 17): with a
discount code typed on the offer page (Stripe's amounts and the fee follow it, the code's use
is counted) and, when the event asks them, each ticket's attendee details on the checkout's own
details page, posting back to the offer."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Attendee, Code, Event, Order, Pass
from tests import pages
from tests.shop import Shop, order_state
from tests.test_attendee_details import add_question, form_of
from tests.test_codes import add_code, code_uses
from tests.test_waiting_list import _join, _offer_links, _sell_out, _statuses


async def _offered_two(shop: Shop, db: AsyncSession) -> tuple[Event, str]:
    """The tier sold out (two seats, one order), Ana waiting for two, the order refunded:
    both seats are offered to her. Returns the event and her offer's token."""
    [first] = await _sell_out(shop, db, capacity=2)
    assert (await _join(shop, "ana@example.com", 2)).status_code == 303
    shop.standin.refund(first, 5000)
    await shop.standin.settle_async()
    assert await _statuses(db) == {"ana@example.com": "offered"}
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    return event, (await _offer_links(db, shop))["ana@example.com"]


async def test_an_offer_claimed_with_a_code_asks_each_tickets_name_and_pays_the_discount(
    shop: Shop, db: AsyncSession
) -> None:
    event, token = await _offered_two(shop, db)
    event.attendee_names = "required"
    diet = (await add_question(db, event.id, "Diet", required=True)).id
    code = await add_code(db, event, "SUMMER25", kind="percent", value=25)
    link = f"/waiting/offer/{token}"

    offer = (await shop.browser.get(f"{link}?code=summer25")).text
    assert pages.one(offer, "#code-applied")["data-code"] == "SUMMER25"
    total = pages.one(offer, "[data-total]")
    assert total["data-total"] == "3750"
    assert pages.text(total, "[data-list-price]") == "$50.00"
    details = await shop.browser.post(link, data=form_of(offer, "#claim-form"))
    assert details.status_code == 200  # the checkout's details page, posting back to the offer
    assert pages.one(details.text, "#details-form")["action"] == link
    assert pages.one(details.text, "#details-buyer")["data-buyer"] == "ana@example.com"
    assert not pages.parse(details.text).select('#details-form input[name="email"]')
    tickets = pages.parse(details.text).select("#details-form fieldset[data-ticket]")
    assert [t["data-ticket"] for t in tickets] == ["VIP 1", "VIP 2"]
    sent = form_of(details.text, "#details-form")
    [first_name, second_name] = [k for k in sent if k.endswith("-name")]
    assert sent[first_name] == "Ana"  # her name from the waiting list, for the first ticket
    assert sent["code"] == "SUMMER25"  # carried through the page

    sent[f"{first_name.removesuffix('name')}{diet}"] = "Vegan"
    missing = await shop.browser.post(link, data=sent)
    assert missing.status_code == 422
    assert set(pages.values(missing.text, "[data-field-error]", "data-field-error")) == {
        second_name,
        f"{second_name.removesuffix('name')}{diet}",
    }
    assert await _statuses(db) == {"ana@example.com": "offered"}  # nothing claimed yet

    sent |= {second_name: "Keoni Kahale", f"{second_name.removesuffix('name')}{diet}": "None"}
    claimed = await shop.browser.post(link, data=sent)
    assert claimed.status_code == 303, claimed.text
    session_id = claimed.headers["location"].rsplit("/", 1)[-1]
    checkout = shop.standin.get(session_id)
    assert checkout["amount_total"] == 3750
    create = [r for r in shop.standin.requests if r.path == "/v1/checkout/sessions"][-1]
    [line] = create.params["line_items"]
    assert (line["price_data"]["unit_amount"], line["quantity"]) == (1875, 2)
    assert create.params["payment_intent_data"]["application_fee_amount"] == 400  # per ticket
    assert await code_uses(db, code) == 1

    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    public_id = checkout["success_url"].split("/passes/")[1].split("?")[0]
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    assert (order.discount_minor, order.code_id, order.fee_minor) == (1250, code, 400)
    held = (
        await db.execute(
            select(Attendee.name, Attendee.answers, Pass.status)
            .join(Pass, Pass.id == Attendee.pass_id)
            .where(Attendee.order_id == order.id)
            .order_by(Attendee.seat)
        )
    ).all()
    assert [(name, answers[str(diet)], status) for name, answers, status in held] == [
        ("Ana", "Vegan", "valid"), ("Keoni Kahale", "None", "valid")
    ]  # fmt: skip
    passes = await shop.browser.get(f"/passes/{public_id}")
    assert "Keoni Kahale" in pages.texts(passes.text, "[data-holder]")


async def test_a_refused_code_is_said_on_the_offer_page_and_the_offer_stays_open(
    shop: Shop, db: AsyncSession
) -> None:
    event, token = await _offered_two(shop, db)
    await add_code(db, event, "GONE", kind="percent", value=10, max_uses=1, uses=1)
    link = f"/waiting/offer/{token}"
    offer = (await shop.browser.get(f"{link}?code=nope")).text
    assert pages.text(offer, "#code-error") == "“NOPE” is not a valid code for this event."
    assert pages.one(offer, "[data-total]")["data-total"] == "5000"

    sent = form_of(offer, "#claim-form") | {"code": "gone"}
    refused = await shop.browser.post(link, data=sent)
    assert refused.status_code == 422
    assert pages.text(refused.text, "#form-error") == "The code GONE has been used up."
    assert pages.one(refused.text, "#offer")["data-offer"] == "open"
    assert await _statuses(db) == {"ana@example.com": "offered"}
    assert not [r for r in shop.standin.requests if r.path == "/v1/checkout/sessions"][1:]


async def test_a_full_discount_makes_the_offer_free_its_passes_issued_without_stripe(
    shop: Shop, db: AsyncSession
) -> None:
    event, token = await _offered_two(shop, db)
    event.attendee_names = "optional"
    code = await add_code(db, event, "CREW", kind="percent", value=100)
    link = f"/waiting/offer/{token}"
    offer = (await shop.browser.get(f"{link}?code=crew")).text
    assert pages.text(offer, "[data-total]") == "Free"
    assert pages.text(offer, "#claim") == "Get the tickets"
    sessions = len([r for r in shop.standin.requests if r.path == "/v1/checkout/sessions"])
    details = await shop.browser.post(link, data=form_of(offer, "#claim-form"))
    assert pages.text(details.text, "#details-continue") == "Get tickets"  # no payment follows
    claimed = await shop.browser.post(link, data=form_of(details.text, "#details-form"))
    assert claimed.status_code == 303
    public_id = claimed.headers["location"].split("/passes/")[1]
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])
    assert len([r for r in shop.standin.requests if r.path == "/v1/checkout/sessions"]) == sessions
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    assert (order.discount_minor, order.code_id, order.fee_minor) == (5000, code, 0)
    assert await code_uses(db, code) == 1
    held = await db.scalar(text("SELECT held FROM ticket_tier WHERE id = :id"),
                           {"id": shop.tier_id})  # fmt: skip
    assert held == 0
    assert (await db.scalar(select(Code.uses).where(Code.id == code))) == 1
