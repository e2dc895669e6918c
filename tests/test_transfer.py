"""A buyer transfers a ticket from the passes page: the old code is voided (the door pulls it as
`transferred`), a new pass is issued to the new holder in their own order, both are emailed,
and the seat stays sold. Through the real checkout, webhook and outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import (
    Attendee,
    AuditEntry,
    Event,
    Order,
    OrganizerMember,
    OutboxMessage,
    Pass,
    PassChange,
    PassTransfer,
    TicketTier,
)
from api.mail.outbox import preview
from api.passes.tokens import pass_key_text
from tests.forms import csrf_token
from tests.pages import one, parse, shown, texts, values
from tests.self_service_support import allow, codes, paid, rename, transfer
from tests.shop import Shop, order_state


async def test_a_transfer_voids_the_old_code_and_emails_the_new_holder_a_new_one(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop)
    first, second = await codes(db, public_id)

    sent = await transfer(shop.browser, public_id, first, "Friend@Example.com", "Kai Friend")

    assert sent.status_code == 303
    assert sent.headers["location"] == f"/passes/{public_id}?done=transferred"
    page = await shop.browser.get(sent.headers["location"])
    assert one(page.text, "#self-service-done")["data-done"] == "transferred"
    shown = parse(page.text).select("#passes li")
    assert sorted(li["data-valid"] for li in shown) == ["false", "true"]
    assert texts(page.text, "#passes li .badge") == ["Void — transferred"]
    # The seat stays sold, to someone else; the door pulls the void with its reason.
    assert await order_state(db, public_id) == ("paid", 2, 0, ["void", "valid"])
    change = await db.scalar(select(PassChange).order_by(PassChange.seq.desc()).limit(1))
    assert change is not None
    reasons = list(await db.scalars(select(PassChange.reason).order_by(PassChange.seq)))
    assert reasons == ["issued", "issued", "transferred", "issued"]

    record = await db.scalar(select(PassTransfer))
    assert record is not None
    assert record.to_email == "friend@example.com"
    received = await db.get_one(Order, record.to_order_id)
    assert (received.buyer_email, received.buyer_name, received.status, received.total_minor) == (
        "friend@example.com", "Kai Friend", "paid", 0,
    )  # fmt: skip
    assert received.source == "transfer"
    new_pass = await db.get_one(Pass, record.to_pass_id)
    new_code = pass_key_text(new_pass.pass_key)
    assert new_code not in (first, second)
    assert new_pass.status == "valid"
    theirs = await shop.browser.get(f"/passes/{received.public_id}")
    assert [li["data-valid"] for li in parse(theirs.text).select("#passes li")] == ["true"]
    assert texts(theirs.text, "#passes [data-holder]") == ["Kai Friend"]
    assert one(theirs.text, ".qr")["data-token"]

    mails = {m.kind: m for m in await db.scalars(select(OutboxMessage))}
    to_new = await preview(db, row=mails["pass_transferred"], settings=shop.settings)
    assert to_new.startswith("To: Kai Friend <friend@example.com>")
    assert "buyer@example.com transferred a ticket for this event to you" in to_new
    assert new_code in to_new
    assert f"/passes/{received.public_id}" in to_new
    to_old = await preview(db, row=mails["transfer_notice"], settings=shop.settings)
    assert to_old.startswith("To: buyer@example.com")
    assert f"({first}) was transferred to friend@example.com" in to_old
    assert "Your other 1 pass remains valid" in to_old
    audit = await db.scalar(select(AuditEntry).where(AuditEntry.action == "pass.transferred"))
    assert audit is not None
    assert audit.details["to_email"] == "friend@example.com"


async def test_the_new_holder_may_transfer_it_again(shop: Shop, db: AsyncSession) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=1)
    (first,) = await codes(db, public_id)
    await transfer(shop.browser, public_id, first, "friend@example.com")
    received = await db.scalar(select(Order).where(Order.buyer_email == "friend@example.com"))
    assert received is not None
    (theirs,) = await codes(db, received.public_id)
    again = await transfer(shop.browser, received.public_id, theirs, "third@example.com")
    assert again.status_code == 303
    assert await order_state(db, received.public_id) == ("paid", 1, 0, ["void"])
    assert len(list(await db.scalars(select(PassTransfer)))) == 2


async def test_an_event_that_allows_no_transfers_offers_none_and_refuses_one(
    shop: Shop, db: AsyncSession
) -> None:
    public_id = await paid(shop, quantity=1)
    (code,) = await codes(db, public_id)
    page = await shop.browser.get(f"/passes/{public_id}")
    assert parse(page.text).select("[data-transfer]") == []
    forced = await shop.browser.post(
        f"/passes/{public_id}/transfer",
        data={"_csrf_token": await _token(shop), "pass": code, "email": "friend@example.com"},
    )
    assert forced.status_code == 409
    assert "does not allow ticket transfers" in one(forced.text, "[data-problem]").text
    assert await order_state(db, public_id) == ("paid", 1, 0, ["valid"])


async def test_transfers_close_at_the_organizers_deadline(shop: Shop, db: AsyncSession) -> None:
    public_id = await paid(shop, quantity=1)
    (code,) = await codes(db, public_id)
    tier = await db.get_one(TicketTier, shop.tier_id)
    event = await db.get_one(Event, tier.event_id)
    hours_to_start = int((event.starts_at - event.created_at) / timedelta(hours=1))
    await allow(db, shop, transfer_hours=hours_to_start + 2)
    page = await shop.browser.get(f"/passes/{public_id}")
    assert parse(page.text).select("[data-transfer]") == []
    late = await shop.browser.post(
        f"/passes/{public_id}/transfer",
        data={"_csrf_token": await _token(shop), "pass": code, "email": "friend@example.com"},
    )
    assert late.status_code == 409
    assert "deadline for ticket transfers has passed" in one(late.text, "[data-problem]").text


async def test_a_bad_address_a_void_pass_or_another_orders_pass_is_refused(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=2)
    first, second = await codes(db, public_id)
    other = await paid(shop, quantity=1)
    (foreign,) = await codes(db, other)

    bad = await transfer(shop.browser, public_id, first, "not-an-address")
    assert bad.status_code == 400
    assert "email address" in one(bad.text, "[data-problem]").text
    own = await transfer(shop.browser, public_id, first, "buyer@example.com")
    assert own.status_code == 400
    await transfer(shop.browser, public_id, first, "friend@example.com")
    for code, status in ((first, 409), (foreign, 404), ("", 404)):
        refused = await shop.browser.post(
            f"/passes/{public_id}/transfer",
            data={"_csrf_token": await _token(shop), "pass": code, "email": "x@example.com"},
        )
        assert refused.status_code == status, code
    assert await order_state(db, other) == ("paid", 3, 0, ["valid"])
    no_csrf = await shop.browser.post(
        f"/passes/{public_id}/transfer", data={"pass": second, "email": "x@example.com"}
    )
    assert no_csrf.status_code == 403
    assert len(list(await db.scalars(select(PassTransfer)))) == 1


async def _token(shop: Shop) -> str:
    """The browser's CSRF token, from a page that has a form whatever the passes page offers."""
    return csrf_token((await shop.browser.get("/login")).text)


async def test_a_buyer_renames_a_ticket_and_it_keeps_its_code(shop: Shop, db: AsyncSession) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=2)
    first, _ = await codes(db, public_id)

    named = await rename(shop.browser, public_id, first, "  Ana Holder ")
    assert named.headers["location"] == f"/passes/{public_id}?done=renamed"
    again = await rename(shop.browser, public_id, first, "Ana Kahale")
    assert again.status_code == 303

    page = await shop.browser.get(f"/passes/{public_id}")
    assert texts(page.text, "#passes [data-holder]") == ["Ana Kahale"]
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])
    assert await codes(db, public_id) == [first, _]
    attendees = list(await db.scalars(select(Attendee)))
    assert [(a.name, a.seat) for a in attendees] == [("Ana Kahale", 1)]
    changes = [
        e.details
        for e in await db.scalars(select(AuditEntry).where(AuditEntry.action == "pass.renamed"))
    ]
    assert [(c["from"], c["to"]) for c in changes] == [
        ("", "Ana Holder"),
        ("Ana Holder", "Ana Kahale"),
    ]

    empty = await rename(shop.browser, public_id, first, "   ")
    assert empty.status_code == 400
    assert "Enter the name" in one(empty.text, "[data-problem]").text


async def test_names_change_only_while_transfers_are_allowed(shop: Shop, db: AsyncSession) -> None:
    public_id = await paid(shop, quantity=1)
    (code,) = await codes(db, public_id)
    page = await shop.browser.get(f"/passes/{public_id}")
    assert parse(page.text).select("[data-rename]") == []
    refused = await shop.browser.post(
        f"/passes/{public_id}/rename",
        data={"_csrf_token": await _token(shop), "pass": code, "name": "Someone"},
    )
    assert refused.status_code == 409
    assert "does not allow name changes" in one(refused.text, "[data-problem]").text
    assert list(await db.scalars(select(Attendee))) == []


async def test_the_money_going_back_voids_the_ticket_given_away_too(
    shop: Shop, db: AsyncSession
) -> None:
    """A refund of the whole payment (here from the Stripe dashboard) or a dispute reaches the
    pass issued by a transfer, and a dispute won gives it back: the money stays on the original
    order, so a ticket given away must not admit once its price went back."""
    await allow(db, shop)
    disputed_session, disputed = await shop.checkout(quantity=1)
    refunded_session, refunded = await shop.checkout(quantity=1)
    for session_id in (disputed_session, refunded_session):
        shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    for public_id, email in ((disputed, "d@example.com"), (refunded, "r@example.com")):
        (code,) = await codes(db, public_id)
        assert (await transfer(shop.browser, public_id, code, email)).status_code == 303
    received = {
        o.buyer_email: o.public_id
        for o in await db.scalars(select(Order).where(Order.total_minor == 0))
    }

    dispute = shop.standin.open_dispute(disputed_session)
    shop.standin.refund(refunded_session)
    await shop.standin.settle_async()
    assert await order_state(db, received["d@example.com"]) == ("paid", 0, 0, ["void"])
    page = await shop.browser.get(f"/passes/{received['r@example.com']}")
    assert texts(page.text, "#passes .badge") == ["Void — refunded"]

    shop.standin.close_dispute(dispute["id"], "won")
    await shop.standin.settle_async()
    assert await order_state(db, received["d@example.com"]) == ("paid", 1, 0, ["valid"])
    assert await order_state(db, disputed) == ("paid", 1, 0, ["void"])


async def test_the_new_holder_finds_the_ticket_in_their_account_and_the_buyer_keeps_theirs(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=2)
    first, _ = await codes(db, public_id)
    await transfer(shop.browser, public_id, first, "friend@example.com")
    received = await db.scalar(select(Order).where(Order.source == "transfer"))
    assert received is not None

    await shop.sign_in(db, "friend@example.com")
    theirs = await shop.browser.get("/account")
    assert values(theirs.text, "#orders li a", "href") == [f"/passes/{received.public_id}"]
    await shop.sign_in(db, "buyer@example.com")
    mine = await shop.browser.get("/account")
    assert values(mine.text, "#orders li a", "href") == [f"/passes/{public_id}"]


async def test_two_transfers_of_one_pass_at_once_make_one_new_pass(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=1)
    (code,) = await codes(db, public_id)
    token = await _token(shop)
    answers = await asyncio.gather(
        *(
            shop.browser.post(
                f"/passes/{public_id}/transfer",
                data={"_csrf_token": token, "pass": code, "email": f"f{n}@example.com"},
            )
            for n in range(6)
        )
    )
    assert sorted(a.status_code for a in answers) == [303, 409, 409, 409, 409, 409]
    assert len(list(await db.scalars(select(PassTransfer)))) == 1
    valid = await db.scalars(select(Pass.id).where(Pass.status == "valid"))
    assert len(list(valid)) == 1
    assert await order_state(db, public_id) == ("paid", 1, 0, ["void"])


async def test_the_organizer_sees_where_a_transferred_pass_went(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=2)
    first, second = await codes(db, public_id)
    await transfer(shop.browser, public_id, first, "friend@example.com")
    tier = await db.get_one(TicketTier, shop.tier_id)
    event = await db.get_one(Event, tier.event_id)
    db.add(OrganizerMember(organizer_id=event.organizer_id, email="owner@venue.example"))
    await db.commit()
    await shop.sign_in(db, "owner@venue.example")
    page = await shop.browser.get(f"/admin/orders/{public_id}")
    moved = one(page.text, f'#passes li[data-pass="{first}"]')
    assert moved["data-status"] == "void"
    assert shown(one(moved, "[data-void-note]")) == "to friend@example.com"
    assert one(page.text, f'#passes li[data-pass="{second}"]')["data-status"] == "valid"


async def test_an_event_that_needs_names_needs_the_new_holders(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=1)
    (code,) = await codes(db, public_id)
    tier = await db.get_one(TicketTier, shop.tier_id)
    event = await db.get_one(Event, tier.event_id)
    event.attendee_names = "required"  # from now on (this order was sold before)
    await db.commit()
    nameless = await transfer(shop.browser, public_id, code, "friend@example.com")
    assert nameless.status_code == 400
    assert "needs the name of each ticket's holder" in one(nameless.text, "[data-problem]").text
    named = await transfer(shop.browser, public_id, code, "friend@example.com", "Kai Friend")
    assert named.status_code == 303


async def test_malformed_transfer_and_cancel_requests_are_4xx_and_change_nothing(
    shop: Shop, db: AsyncSession
) -> None:
    await allow(db, shop)
    public_id = await paid(shop, quantity=1)
    (code,) = await codes(db, public_id)
    token = await _token(shop)
    for path, data in (
        ("/passes/not-an-order!/transfer", {"pass": code, "email": "f@example.com"}),
        ("/passes/AAAAAAAAAAAAAAAAAAAAAA/cancellation", {"confirm": "yes"}),
        (f"/passes/{public_id}/transfer", {"pass": code, "email": "f\x00@example.com"}),
        (f"/passes/{public_id}/transfer", {"pass": "\x00" * 3, "email": "f@example.com"}),
        (f"/passes/{public_id}/rename", {"pass": code, "name": "\x00\x01"}),
        (f"/passes/{public_id}/rename", {"pass": code}),
    ):
        answer = await shop.browser.post(path, data={"_csrf_token": token, **data})
        assert 400 <= answer.status_code < 500, (path, data, answer.status_code)
    as_json = await shop.browser.post(
        f"/passes/{public_id}/transfer", content=b"{not a form", headers={"x-csrftoken": token}
    )
    assert 400 <= as_json.status_code < 500
    assert await order_state(db, public_id) == ("paid", 1, 0, ["valid"])
    assert list(await db.scalars(select(PassTransfer))) == []
