"""Refund records: every refund shows on the order page and in the refunds CSV, whoever started
it, and a partial refund from the order page voids exactly the passes ticked."""

from __future__ import annotations

import csv
import io

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, Pass, Refund
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import pages
from tests.forms import csrf_token
from tests.shop import Shop, order_state
from tests.test_dashboard import anas_free_order, sign_in, two_organizers

Client = AsyncTestClient[Litestar]
OWNER = "owner@venue.example"


async def _paid_order(shop: Shop, quantity: int = 2) -> tuple[str, str]:
    session_id, public_id = await shop.checkout(quantity=quantity)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    return session_id, public_id


def _offered(page: str) -> list[str]:
    """The passes the "Refund the ticked passes" form offers."""
    form = BeautifulSoup(page, "html.parser").select_one("form#partial-refund")
    return [str(box["value"]) for box in form.select('input[name="pass"]')] if form else []


def _refund_rows(page: str) -> list[list[str]]:
    """The order page's refunds table: (amount, status, started by, when, passes, reason)."""
    return pages.rows(page, "#refunds tr[data-refund]")


def _csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


async def test_a_partial_refund_from_the_order_page_names_and_later_voids_exactly_that_pass(
    shop: Shop, db: AsyncSession
) -> None:
    _, public_id = await _paid_order(shop)
    await shop.staff_signs_in(db, OWNER)
    page = await shop.browser.get(f"/admin/orders/{public_id}")
    offered = _offered(page.text)
    assert len(offered) == 2
    chosen, kept = offered
    shop.standin.hold()  # Stripe's confirmation has not arrived yet
    refunded = await shop.browser.post(
        f"/admin/orders/{public_id}/refund",
        data={"_csrf_token": csrf_token(page.text), "scope": "passes", "pass": [chosen],
              "reason": "one friend cannot come"},
    )  # fmt: skip
    assert "Stripe accepted the refund" in pages.text(refunded.text, "#note")
    [row] = _refund_rows(refunded.text)
    assert (row[0], row[2], row[4], row[5]) == ("$25.00", OWNER, chosen, "one friend cannot come")
    assert _offered(refunded.text) == [kept]  # not offered twice while Stripe confirms
    refund_call = next(r for r in shop.standin.requests if r.path == "/v1/refunds")
    assert (refund_call.params["amount"], refund_call.params["metadata"]["passes"]) == (
        2500,
        chosen,
    )
    assert sorted((await order_state(db, public_id))[3]) == ["valid", "valid"]

    shop.standin.release()
    await shop.standin.settle_async()
    after = await shop.browser.get(f"/admin/orders/{public_id}")
    listed = BeautifulSoup(after.text, "html.parser").select("#passes li[data-pass]")
    assert {li["data-pass"]: li["data-status"] for li in listed} == {
        chosen: "void",
        kept: "valid",
    }
    [row] = _refund_rows(after.text)
    assert row[1] == "succeeded"
    assert row[2] == OWNER  # Stripe's word on the refund did not erase who started it
    status, sold, _, _ = await order_state(db, public_id)
    assert (status, sold) == ("partially_refunded", 1)
    assert await db.scalar(select(func.count()).select_from(Refund)) == 1


async def test_a_refund_started_in_the_stripe_dashboard_appears_in_the_refunds_csv(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await _paid_order(shop)
    shop.standin.refund(session_id, 2500, reason="requested_by_customer")
    await shop.standin.settle_async()
    await shop.staff_signs_in(db, OWNER)
    response = await shop.browser.get("/admin/refunds.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    [row] = _csv(response.content)
    assert row["order_id"] == public_id
    assert row["buyer_email"] == "buyer@example.com"
    assert (row["amount_minor"], row["currency"], row["status"]) == ("2500", "USD", "succeeded")
    assert (row["initiated_by"], row["reason"]) == ("stripe", "requested_by_customer")
    assert row["refund_id"].startswith("re_")
    page = await shop.browser.get(f"/admin/orders/{public_id}")
    [row] = _refund_rows(page.text)
    assert (row[0], row[2], row[5]) == ("$25.00", "stripe", "requested_by_customer")


async def test_refund_events_arriving_twice_or_backwards_leave_one_row_with_the_last_word(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, _ = await _paid_order(shop)
    shop.standin.hold()
    refund = shop.standin.refund(session_id, 2500, status="pending")
    shop.standin.fail_refund(refund["id"])
    shop.standin.release(order="reversed", duplicate=2)  # refund.failed first, created last
    deliveries = await shop.standin.settle_async()
    assert all(d.ok for d in deliveries)
    rows = list(await db.scalars(select(Refund)))
    assert [(r.stripe_refund_id, r.status, r.amount_minor) for r in rows] == [
        (refund["id"], "failed", 2500)
    ]


async def test_an_owner_cancels_one_free_pass_from_the_order_page(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    order, issued = await anas_free_order(db, settings)
    chosen, kept = (pass_key_text(p.pass_key) for p in issued)
    public_id, order_id = order.public_id, order.id
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    page = await client.get(f"/admin/orders/{public_id}")
    done = await client.post(
        f"/admin/orders/{public_id}/refund",
        data={"_csrf_token": csrf_token(page.text), "scope": "passes", "pass": chosen},
    )
    assert pages.text(done.text, "#note") == "Free passes voided."
    [row] = _refund_rows(done.text)
    assert (row[2], row[4]) == ("staff@reef.example", chosen)
    db.expire_all()
    voided = await db.scalars(
        select(Pass.pass_key).where(Pass.order_id == order_id, Pass.status == "void")
    )
    assert [pass_key_text(k) for k in voided] == [chosen]
    again = await client.post(
        f"/admin/orders/{public_id}/refund",
        data={"_csrf_token": csrf_token(done.text), "scope": "passes", "pass": chosen},
    )
    assert "Already void" in pages.text(again.text, "#note")
    assert _offered(again.text) == [kept]


async def test_the_refunds_csv_shows_nothing_of_another_organizer(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    for order in await db.scalars(select(Order)):
        db.add(
            Refund(order_id=order.id, stripe_refund_id=f"re_{order.buyer_email}",
                   amount_minor=100, status="succeeded", initiated_by="stripe")
        )  # fmt: skip
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    response = await client.get("/admin/refunds.csv")
    assert [r["buyer_email"] for r in _csv(response.content)] == ["ana@x.io"]
    assert "bo@y.io" not in response.text
