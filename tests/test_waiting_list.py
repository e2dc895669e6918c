"""Waiting lists through the real checkout and webhook paths (the Stripe stand-in): a buyer
joins a sold-out tier's list, a seat comes back (a refund, an expired checkout, a capacity
raised), the next in line is emailed an offer that holds it, and buys it through the offer;
an offer left unused passes down the list; two seats freed at once go to two people."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import (
    Event,
    Order,
    OrganizerMember,
    OutboxMessage,
    TicketTier,
    WaitingEntry,
    WaitingListSettings,
    utcnow,
)
from api.db.engine import create_engine, session_factory
from api.events import editing
from api.mail.outbox import preview
from api.outbox import worker
from api.waiting.offers import expire_lapsed_offers
from tests import factories, pages
from tests.forms import csrf_token
from tests.shop import Shop, order_state
from tests.test_dashboard import sign_in

OFFER_LINK = re.compile(r"https?://\S+/waiting/offer/([A-Za-z0-9_-]+)")


async def _tier(db: AsyncSession, shop: Shop) -> TicketTier:
    db.expire_all()
    tier = await db.get(TicketTier, shop.tier_id)
    assert tier is not None
    return tier


async def _sell_out(shop: Shop, db: AsyncSession, *, capacity: int, orders: int = 1) -> list[str]:
    """The tier's capacity set to `capacity` and all of it sold through Stripe Checkout in
    `orders` orders; returns their Checkout Session ids."""
    await db.execute(
        text("UPDATE ticket_tier SET capacity = :c WHERE id = :id"),
        {"c": capacity, "id": shop.tier_id},
    )
    await db.commit()
    sessions = []
    for n in range(orders):
        response = await shop.buy(capacity // orders, email=f"first{n}@example.com")
        assert response.status_code == 303, response.text
        session_id = response.headers["location"].rsplit("/", 1)[-1]
        shop.standin.complete_session(session_id)
        sessions.append(session_id)
    await shop.standin.settle_async()
    tier = await _tier(db, shop)
    assert (tier.sold, tier.held) == (capacity, 0)
    return sessions


async def _seat_back_with_ana_and_bo_waiting(shop: Shop, db: AsyncSession) -> None:
    """The tier's one seat sold, ana and then bo on the list, and the seat back (a refund):
    the seat is offered to ana."""
    [first] = await _sell_out(shop, db, capacity=1)
    for email in ("ana@example.com", "bo@example.com"):
        assert (await _join(shop, email)).status_code == 303
    shop.standin.refund(first)
    await shop.standin.settle_async()


async def _join(shop: Shop, email: str, quantity: int = 1) -> httpx.Response:
    """Fill in and send the waiting-list form of the tier (the address the event page links to
    when the tier is sold out; the page itself may show a snapshot up to seconds old)."""
    url = f"/e/{shop.slug}/waiting/{shop.tier_id}"
    form = await shop.browser.get(url)
    assert form.status_code == 200
    return await shop.browser.post(
        url,
        data={
            "_csrf_token": csrf_token(form.text),
            "email": email,
            "name": email.split("@")[0].title(),
            "quantity": str(quantity),
        },
    )


async def _emails(db: AsyncSession, shop: Shop, kind: str) -> list[str]:
    """The outbox's emails of `kind`, oldest first, as their recipients would read them."""
    db.expire_all()
    rows = await db.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.created_at)
    )
    return [await preview(db, row=row, settings=shop.settings) for row in rows]


async def _offer_links(db: AsyncSession, shop: Shop) -> dict[str, str]:
    """Recipient → offer token, read from the offer emails in the outbox."""
    found = {}
    for message in await _emails(db, shop, "waiting_offer"):
        if message == "(nothing to send)":
            continue
        to = re.search(r"^To: .*?<?([^<>\s]+@[^<>\s]+?)>?$", message, re.M)
        link = OFFER_LINK.search(message)
        assert to is not None
        assert link is not None
        found[to.group(1)] = link.group(1)
    return found


async def _statuses(db: AsyncSession) -> dict[str, str]:
    db.expire_all()
    rows = await db.execute(select(WaitingEntry.email, WaitingEntry.status))
    return {email: status for email, status in rows}


async def _pass_ids(db: AsyncSession, public_id: str) -> list[str]:
    from api.db import Order, Pass
    from api.passes.tokens import pass_key_text

    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    items = await db.scalars(select(Pass).where(Pass.order_id == order.id).order_by(Pass.id))
    return [pass_key_text(p.pass_key) for p in items]


async def test_a_buyer_joins_a_sold_out_tiers_list_once_and_is_emailed_a_confirmation(
    shop: Shop, db: AsyncSession
) -> None:
    await db.execute(
        text("UPDATE ticket_tier SET capacity = 2, sold = 2 WHERE id = :id"), {"id": shop.tier_id}
    )
    await db.commit()
    event_page = await shop.browser.get(f"/e/{shop.slug}")
    assert pages.text(event_page.text, '[data-tier="VIP"] .badge') == "Sold out"
    link = pages.one(event_page.text, '[data-tier="VIP"] [data-waiting-list]')
    assert link["href"] == f"/e/{shop.slug}/waiting/{shop.tier_id}"
    joined = await _join(shop, "wai@example.com", 2)
    assert joined.status_code == 303
    page = await shop.browser.get(joined.headers["location"])
    assert pages.one(page.text, "[data-waiting]")["data-waiting"] == "joined"
    again = await _join(shop, "WAI@example.com", 1)  # the same address, another case
    assert again.status_code == 303
    assert await _statuses(db) == {"wai@example.com": "waiting"}
    confirmations = await _emails(db, shop, "waiting_joined")
    assert len(confirmations) == 1
    assert "To: Wai <wai@example.com>" in confirmations[0]
    assert "2 \N{MULTIPLICATION SIGN} VIP" in confirmations[0]
    assert "24 hours" in confirmations[0]
    tier = await _tier(db, shop)
    assert (tier.sold, tier.held) == (2, 0)


async def test_joining_is_refused_while_the_tickets_asked_for_are_on_sale(
    shop: Shop, db: AsyncSession
) -> None:
    form = await shop.browser.get(f"/e/{shop.slug}/waiting/{shop.tier_id}")
    refused = await shop.browser.post(
        f"/e/{shop.slug}/waiting/{shop.tier_id}",
        data={"_csrf_token": csrf_token(form.text), "email": "early@example.com", "quantity": "2"},
    )
    assert refused.status_code == 422
    assert "10 tickets on sale right now" in pages.text(refused.text, "#form-error")
    too_many = await shop.browser.post(
        f"/e/{shop.slug}/waiting/{shop.tier_id}",
        data={"_csrf_token": csrf_token(form.text), "email": "big@example.com", "quantity": "11"},
    )
    assert too_many.status_code == 422
    assert "At most 10 VIP tickets per order" in pages.text(too_many.text, "#form-error")
    assert await _statuses(db) == {}


async def test_a_refund_offers_the_seat_to_the_next_in_line_who_buys_it_through_stripe(
    shop: Shop, db: AsyncSession
) -> None:
    [first] = await _sell_out(shop, db, capacity=2)
    first_public_id = shop.standin.get(first)["success_url"].split("/passes/")[1].split("?")[0]
    for email in ("ana@example.com", "bo@example.com"):
        assert (await _join(shop, email)).status_code == 303
    passes = await _pass_ids(db, first_public_id)
    shop.standin.refund(first, 2500, metadata={"passes": passes[0]})  # one seat comes back
    await shop.standin.settle_async()
    assert await _statuses(db) == {"ana@example.com": "offered", "bo@example.com": "waiting"}
    tier = await _tier(db, shop)
    assert (tier.sold, tier.held) == (1, 1)  # the seat is held for Ana, not back on sale
    someone_else = await shop.buy(1, email="quick@example.com")
    assert someone_else.status_code == 422
    assert "Sold out" in pages.text(someone_else.text, "#form-error")

    links = await _offer_links(db, shop)
    assert list(links) == ["ana@example.com"]
    offer = await shop.browser.get(f"/waiting/offer/{links['ana@example.com']}")
    assert pages.one(offer.text, "#offer")["data-offer"] == "open"
    assert pages.text(offer.text, "[data-total]") == "$25.00"
    claimed = await shop.browser.post(
        f"/waiting/offer/{links['ana@example.com']}",
        data={"_csrf_token": csrf_token(offer.text)},
    )
    assert claimed.status_code == 303
    session_id = claimed.headers["location"].rsplit("/", 1)[-1]
    checkout = shop.standin.get(session_id)
    assert checkout["customer_email"] == "ana@example.com"
    assert checkout["amount_total"] == 2500
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    public_id = checkout["success_url"].split("/passes/")[1].split("?")[0]
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid"])
    assert await _statuses(db) == {"ana@example.com": "claimed", "bo@example.com": "waiting"}
    again = await shop.browser.get(f"/waiting/offer/{links['ana@example.com']}")
    assert pages.one(again.text, "#offer")["data-offer"] == "claimed"


async def test_an_unclaimed_offer_expires_and_passes_down_the_list(
    shop: Shop, db: AsyncSession
) -> None:
    await _seat_back_with_ana_and_bo_waiting(shop, db)
    assert (await _statuses(db))["ana@example.com"] == "offered"
    ana = (await _offer_links(db, shop))["ana@example.com"]
    ana_page = await shop.browser.get(f"/waiting/offer/{ana}")  # opened, then left for a day
    await db.execute(
        text("UPDATE waiting_entry SET offer_expires_at = now() - interval '1 minute'"
             " WHERE status = 'offered'")
    )  # fmt: skip
    await db.commit()
    engine = create_engine(shop.settings.database_url or "", pool_size=1)
    try:
        await worker._sweep(session_factory(engine))  # the outbox worker's sweep, as it runs
    finally:
        await engine.dispose()
    assert await _statuses(db) == {"ana@example.com": "expired", "bo@example.com": "offered"}
    tier = await _tier(db, shop)
    assert (tier.sold, tier.held) == (0, 1)
    assert set(await _offer_links(db, shop)) == {"bo@example.com"}  # Ana's email is not sent
    late = await shop.browser.get(f"/waiting/offer/{ana}")
    assert pages.one(late.text, "#offer")["data-offer"] == "ended"
    refused = await shop.browser.post(
        f"/waiting/offer/{ana}", data={"_csrf_token": csrf_token(ana_page.text)}
    )
    assert refused.status_code == 422
    assert "This offer has ended" in pages.text(refused.text, "#form-error")


async def test_two_seats_refunded_at_once_are_offered_to_two_people_not_one_twice(
    shop: Shop, db: AsyncSession
) -> None:
    first, second = await _sell_out(shop, db, capacity=2, orders=2)
    for email in ("ana@example.com", "bo@example.com", "cy@example.com"):
        assert (await _join(shop, email)).status_code == 303
    shop.standin.hold()
    shop.standin.refund(first)
    shop.standin.refund(second)
    shop.standin.release(concurrent=True)  # both refunds' webhooks arrive at the same moment
    await shop.standin.settle_async()
    assert await _statuses(db) == {
        "ana@example.com": "offered",
        "bo@example.com": "offered",
        "cy@example.com": "waiting",
    }
    tier = await _tier(db, shop)
    assert (tier.sold, tier.held) == (0, 2)
    assert sorted(await _offer_links(db, shop)) == ["ana@example.com", "bo@example.com"]


async def test_an_expired_checkout_and_a_capacity_raised_offer_the_list_first(
    shop: Shop, db: AsyncSession
) -> None:
    await db.execute(text("UPDATE ticket_tier SET capacity = 2 WHERE id = :id"),
                     {"id": shop.tier_id})  # fmt: skip
    await db.commit()
    session_id, _ = await shop.checkout(quantity=2)  # held, unpaid: the tier shows no seats
    assert (await _join(shop, "ana@example.com")).status_code == 303
    assert (await _join(shop, "bo@example.com", 2)).status_code == 303
    assert (await _join(shop, "cy@example.com")).status_code == 303
    shop.standin.expire_session(session_id)
    await shop.standin.settle_async()
    # Two seats: Ana (1) first; Bo's 2 do not fit in the one left, so Cy (1) is next.
    assert await _statuses(db) == {
        "ana@example.com": "offered",
        "bo@example.com": "waiting",
        "cy@example.com": "offered",
    }
    tier = await _tier(db, shop)
    event = await db.get(Event, tier.event_id)
    assert event is not None
    await editing.update_tier(
        db, event=event, tier=tier, settings=shop.settings, actor="owner@example.com",
        fields=editing.TierFields(
            name=tier.name, description="", price_minor=tier.price_minor, currency="USD",
            capacity=4, sales_start=None, sales_end=None, max_per_order=10,
        ),
    )  # fmt: skip
    assert (await _statuses(db))["bo@example.com"] == "offered"
    tier = await _tier(db, shop)
    assert (tier.sold, tier.held, tier.capacity) == (0, 4, 4)


async def test_a_free_offer_is_placed_at_once_with_its_passes_and_email(
    shop: Shop, db: AsyncSession
) -> None:
    await db.execute(text("UPDATE ticket_tier SET price_minor = 0, capacity = 0 WHERE id = :id"),
                     {"id": shop.tier_id})  # fmt: skip
    await db.commit()
    assert (await _join(shop, "ana@example.com", 2)).status_code == 303
    tier = await _tier(db, shop)
    event = await db.get(Event, tier.event_id)
    assert event is not None
    await editing.update_tier(
        db, event=event, tier=tier, settings=shop.settings, actor="owner@example.com",
        fields=editing.TierFields(
            name=tier.name, description="", price_minor=0, currency="USD",
            capacity=2, sales_start=None, sales_end=None, max_per_order=10,
        ),
    )  # fmt: skip
    token = (await _offer_links(db, shop))["ana@example.com"]
    offer = await shop.browser.get(f"/waiting/offer/{token}")
    assert pages.text(offer.text, "#claim") == "Get the tickets"
    claimed = await shop.browser.post(
        f"/waiting/offer/{token}", data={"_csrf_token": csrf_token(offer.text)}
    )
    assert claimed.status_code == 303
    public_id = claimed.headers["location"].split("/passes/")[1]
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])
    assert len(await _emails(db, shop, "order_confirmation")) == 1
    # Bought from the list, not on a partner's site: no "Purchased on …" line; `source` says it.
    passes_page = await shop.browser.get(f"/passes/{public_id}")
    assert pages.parse(passes_page.text).select("[data-purchased-on]") == []
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    assert (order.source, order.source_site) == ("waiting", None)


async def test_the_organizer_sees_the_list_removes_an_offer_and_offers_ahead_of_turn(
    shop: Shop, db: AsyncSession
) -> None:
    [first] = await _sell_out(shop, db, capacity=1)
    for email in ("ana@example.com", "bo@example.com", "cy@example.com"):
        assert (await _join(shop, email)).status_code == 303
    tier = await _tier(db, shop)
    event = await db.get(Event, tier.event_id)
    assert event is not None
    event_id = event.id
    db.add(OrganizerMember(organizer_id=event.organizer_id, email="boss@reef.example",
                           role="owner"))  # fmt: skip
    await db.commit()
    async with httpx.AsyncClient(base_url=shop.url, timeout=30) as staff:
        await sign_in(staff, db, shop.settings, "boss@reef.example")  # type: ignore[arg-type]
        edit = await staff.get(f"/admin/events/{event_id}")
        link = pages.one(edit.text, "#waiting-list-link")
        listing = await staff.get(str(link["href"]))
        assert listing.status_code == 200
        rows = pages.parse(listing.text).select("[data-entry]")
        assert [(r["data-entry"], r["data-status"]) for r in rows] == [
            ("ana@example.com", "waiting"),
            ("bo@example.com", "waiting"),
            ("cy@example.com", "waiting"),
        ]
        refused = await _staff_post(staff, listing.text, "cy@example.com", "offer")
        assert refused.status_code == 400
        assert "1 seat asked for, 0 free" in pages.text(refused.text, "#errors")

        shop.standin.refund(first)  # the seat comes back: Ana is offered it
        await shop.standin.settle_async()
        listing = await staff.get(str(link["href"]))
        removed = await _staff_post(staff, listing.text, "ana@example.com", "remove")
        assert removed.status_code == 303  # Ana's offer passes down the list, to Bo
        assert await _statuses(db) == {
            "ana@example.com": "removed",
            "bo@example.com": "offered",
            "cy@example.com": "waiting",
        }
        # A seat no one is offered (raised in the database, not through the tier's form).
        await db.execute(text("UPDATE ticket_tier SET capacity = 2 WHERE id = :id"),
                         {"id": shop.tier_id})  # fmt: skip
        await db.commit()
        listing = await staff.get(str(link["href"]))
        offered = await _staff_post(staff, listing.text, "cy@example.com", "offer")
        assert offered.status_code == 303
        assert (await _statuses(db))["cy@example.com"] == "offered"
        page = await staff.get(offered.headers["location"])
        figure = '[data-waiting-tier="VIP"] [data-figure="offered-seats"]'
        assert pages.text(page.text, figure) == "2"
        download = await staff.get(str(pages.one(page.text, "#waiting-csv")["href"]))
        assert download.headers["content-type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert [(r["tier"], r["email"], r["status"]) for r in table] == [
            ("VIP", "ana@example.com", "removed"),
            ("VIP", "bo@example.com", "offered"),
            ("VIP", "cy@example.com", "offered"),
        ]
        assert table[2]["offered_by"] == "boss@reef.example"


async def _staff_post(
    staff: httpx.AsyncClient, listing: str, email: str, action: str
) -> httpx.Response:
    row = pages.one(listing, f'[data-entry="{email}"]')
    button = row.select_one(f'[data-action="{action}"]')
    assert button is not None
    form = button.find_parent("form")
    assert form is not None
    return await staff.post(str(form["action"]), data={"_csrf_token": csrf_token(listing)})


async def test_offers_expire_only_past_their_time(shop: Shop, db: AsyncSession) -> None:
    [first] = await _sell_out(shop, db, capacity=1)
    assert (await _join(shop, "ana@example.com")).status_code == 303
    shop.standin.refund(first)
    await shop.standin.settle_async()
    entry = await db.scalar(select(WaitingEntry))
    assert entry is not None
    assert entry.offer_expires_at is not None
    assert (
        timedelta(hours=23, minutes=59) < entry.offer_expires_at - utcnow() <= timedelta(hours=24)
    )
    assert await expire_lapsed_offers(db) == 0
    assert (await _statuses(db))["ana@example.com"] == "offered"


async def test_door_leads_and_other_organizers_staff_cannot_see_a_waiting_list(
    shop: Shop, db: AsyncSession
) -> None:
    tier = await _tier(db, shop)
    event = await db.get(Event, tier.event_id)
    assert event is not None
    event_id = event.id
    other = await factories.organizer(db, name="Other Venue")
    db.add(OrganizerMember(organizer_id=event.organizer_id, email="lead@reef.example",
                           role="door_lead"))  # fmt: skip
    db.add(OrganizerMember(organizer_id=other.id, email="them@other.example", role="owner"))
    await db.commit()
    for email, status in (("lead@reef.example", 403), ("them@other.example", 404)):
        async with httpx.AsyncClient(base_url=shop.url, timeout=30) as staff:
            await sign_in(staff, db, shop.settings, email)  # type: ignore[arg-type]
            page = await staff.get(f"/admin/events/{event_id}/waiting-list/")
            assert page.status_code == status, email
            assert "@example.com" not in page.text


async def test_seats_freed_in_a_cancelled_event_are_offered_to_no_one(
    shop: Shop, db: AsyncSession
) -> None:
    [first] = await _sell_out(shop, db, capacity=1)
    assert (await _join(shop, "ana@example.com")).status_code == 303
    tier = await _tier(db, shop)
    await db.execute(
        text("UPDATE event SET cancelled_at = now() WHERE id = :id"), {"id": tier.event_id}
    )
    await db.commit()
    shop.standin.refund(first)
    await shop.standin.settle_async()
    assert await _statuses(db) == {"ana@example.com": "waiting"}
    tier = await _tier(db, shop)
    assert (tier.sold, tier.held) == (0, 0)


async def test_a_buyer_who_leaves_the_offers_stripe_checkout_keeps_the_offer_until_it_ends(
    shop: Shop, db: AsyncSession
) -> None:
    await _seat_back_with_ana_and_bo_waiting(shop, db)
    token = (await _offer_links(db, shop))["ana@example.com"]
    offer = await shop.browser.get(f"/waiting/offer/{token}")
    claimed = await shop.browser.post(
        f"/waiting/offer/{token}", data={"_csrf_token": csrf_token(offer.text)}
    )
    session_id = claimed.headers["location"].rsplit("/", 1)[-1]
    cancel_url = shop.standin.get(session_id)["cancel_url"]
    back = await shop.browser.get(cancel_url)  # Ana presses "back" on Stripe's page
    assert back.status_code == 303
    assert await _statuses(db) == {"ana@example.com": "offered", "bo@example.com": "waiting"}
    tier = await _tier(db, shop)
    assert (tier.sold, tier.held) == (0, 1)  # still hers, not Bo's
    again = await shop.browser.get(f"/waiting/offer/{token}")
    assert pages.one(again.text, "#offer")["data-offer"] == "open"
    bought = await shop.browser.post(
        f"/waiting/offer/{token}", data={"_csrf_token": csrf_token(again.text)}
    )
    session_id = bought.headers["location"].rsplit("/", 1)[-1]
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    public_id = shop.standin.get(session_id)["success_url"].split("/passes/")[1].split("?")[0]
    assert await order_state(db, public_id) == ("paid", 1, 0, ["valid"])
    assert await _statuses(db) == {"ana@example.com": "claimed", "bo@example.com": "waiting"}


async def test_a_tier_whose_list_the_organizer_closed_takes_no_one(
    shop: Shop, db: AsyncSession
) -> None:
    await _sell_out(shop, db, capacity=1)
    db.add(WaitingListSettings(tier_id=shop.tier_id, offer_hours=24, open=False))
    await db.commit()
    page = await shop.browser.get(f"/e/{shop.slug}/waiting/{shop.tier_id}")
    assert pages.one(page.text, "[data-waiting]")["data-waiting"] == "closed"
    assert not pages.parse(page.text).select("#waiting-form")
    refused = await shop.browser.post(
        f"/e/{shop.slug}/waiting/{shop.tier_id}",
        data={"_csrf_token": csrf_token((await shop.browser.get(f"/e/{shop.slug}")).text),
              "email": "late@example.com", "quantity": "1"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert await _statuses(db) == {}


async def test_when_stripe_refuses_the_offers_checkout_the_seats_stay_offered(
    shop: Shop, db: AsyncSession
) -> None:
    await _seat_back_with_ana_and_bo_waiting(shop, db)
    token = (await _offer_links(db, shop))["ana@example.com"]
    tier = await _tier(db, shop)
    await db.execute(
        text("UPDATE organizer SET stripe_account_id = 'acct_closed' WHERE id ="
             " (SELECT organizer_id FROM event WHERE id = :id)"),
        {"id": tier.event_id},
    )  # fmt: skip
    await db.commit()
    offer = await shop.browser.get(f"/waiting/offer/{token}")
    refused = await shop.browser.post(
        f"/waiting/offer/{token}", data={"_csrf_token": csrf_token(offer.text)}
    )
    assert refused.status_code == 422
    assert "still held for you" in pages.text(refused.text, "#form-error")
    assert pages.one(refused.text, "#offer")["data-offer"] == "open"
    assert await _statuses(db) == {"ana@example.com": "offered", "bo@example.com": "waiting"}
    tier = await _tier(db, shop)
    assert (tier.sold, tier.held) == (0, 1)
