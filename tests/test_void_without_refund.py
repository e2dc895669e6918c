"""Passes that go void with no money moving (issue 14 item 14): a free pass in a paid order,
and a pass the organizer voids without a refund after refunding in the Stripe dashboard."""

from __future__ import annotations

import base64
import re
import uuid

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import (
    AuditEntry,
    Event,
    Order,
    Pass,
    PassChange,
    TicketTier,
)
from api.passes.tokens import pass_key_text
from tests import factories
from tests.forms import csrf_token
from tests.shop import Shop, order_state

BASIC = {"authorization": "Basic " + base64.b64encode(
    b"operator:correct horse battery staple").decode()}  # fmt: skip


async def _passes(db: AsyncSession, public_id: str) -> dict[str, Pass]:
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    items = await db.scalars(select(Pass).where(Pass.order_id == order.id))
    return {pass_key_text(p.pass_key): p for p in items}


async def _buy_paid_and_free(shop: Shop, db: AsyncSession) -> tuple[str, uuid.UUID]:
    """A paid order of one VIP ticket and one free Kids ticket, paid; (public id, free tier)."""
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    kids = await factories.tier(db, event=event, name="Kids", price_minor=0, capacity=5)
    kids_id = kids.id
    await db.commit()
    page = await shop.browser.get(f"/e/{shop.slug}")
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    response = await shop.browser.post(
        f"/e/{shop.slug}/checkout",
        data={**hidden, f"qty-{shop.tier_id}": "1", f"qty-{kids_id}": "1",
              "email": "family@example.com"},
    )  # fmt: skip
    assert response.status_code == 303, response.text
    session_id = response.headers["location"].rsplit("/", 1)[-1]
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    public_id = shop.standin.get(session_id)["success_url"].split("/passes/")[1].split("?")[0]
    return public_id, kids_id


async def test_refunding_only_the_free_pass_of_a_paid_order_voids_it_without_stripe(
    shop: Shop, db: AsyncSession
) -> None:
    public_id, kids = await _buy_paid_and_free(shop, db)
    free = next(pid for pid, p in (await _passes(db, public_id)).items() if p.tier_id == kids)

    response = await shop.browser.post(
        f"/api/v1/admin/orders/{public_id}/refund", json={"passes": [free]}, headers=BASIC
    )

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "cancelled"
    assert not [r for r in shop.standin.requests if r.path == "/v1/refunds"]
    passes = await _passes(db, public_id)
    assert {pid: (p.status, p.void_reason) for pid, p in passes.items() if p.tier_id == kids} == {
        free: ("void", "cancelled")
    }
    assert [p.status for p in passes.values() if p.tier_id != kids] == ["valid"]
    free_id = passes[free].id
    assert (await order_state(db, public_id))[0] == "paid"  # the VIP ticket's money stays
    changes = await db.scalars(select(PassChange.reason).where(PassChange.pass_id == free_id))
    assert "cancelled" in list(changes)  # the door learns at its next pull
    assert await db.scalar(select(TicketTier.sold).where(TicketTier.id == kids)) == 0


async def _void(shop: Shop, public_id: str, data: dict[str, str]) -> BeautifulSoup:
    page = await shop.browser.get(f"/admin/orders/{public_id}")
    form = BeautifulSoup(page.text, "html.parser").select_one("form#void-passes")
    assert form is not None, "the order page offers Void without refund"
    response: httpx.Response = await shop.browser.post(
        f"/admin/orders/{public_id}/void", data={"_csrf_token": csrf_token(page.text), **data}
    )
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


async def test_an_owner_voids_a_pass_without_refund_after_a_partial_refund_in_stripe(
    shop: Shop, db: AsyncSession
) -> None:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    shop.standin.refund(session_id, 2500)  # in the Stripe dashboard, naming no pass
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("partially_refunded", 2, 0, ["valid", "valid"])
    await shop.staff_signs_in(db, "owner@venue.example")
    refunds_before = len([r for r in shop.standin.requests if r.path == "/v1/refunds"])
    chosen = sorted(await _passes(db, public_id))[0]

    without_reason = await _void(shop, public_id, {"pass": chosen})
    note = without_reason.select_one("#note")
    assert note is not None
    assert "Say why" in note.get_text()
    assert sorted(p.status for p in (await _passes(db, public_id)).values()) == ["valid", "valid"]

    done = await _void(shop, public_id, {"pass": chosen, "reason": "refunded by phone"})

    note = done.select_one("#note")
    assert note is not None
    assert "Voided without a refund" in note.get_text()
    shown = done.select_one(f'#passes li[data-pass="{chosen}"]')
    assert shown is not None
    assert shown["data-status"] == "void"
    void_note = shown.select_one("[data-void-note]")
    assert void_note is not None
    assert void_note.get_text() == "refunded by phone"
    passes = await _passes(db, public_id)
    assert (passes[chosen].status, passes[chosen].void_reason) == ("void", "voided")
    chosen_id = passes[chosen].id
    status, sold, _, statuses = await order_state(db, public_id)
    assert (status, sold, sorted(statuses)) == ("partially_refunded", 1, ["valid", "void"])
    assert len([r for r in shop.standin.requests if r.path == "/v1/refunds"]) == refunds_before
    audit = await db.scalar(select(AuditEntry).where(AuditEntry.action == "passes.voided"))
    assert audit is not None
    assert audit.organizer_id is not None
    assert audit.details == {"passes": [chosen], "reason": "refunded by phone"}
    changes = await db.scalars(select(PassChange.reason).where(PassChange.pass_id == chosen_id))
    assert "voided" in list(changes)  # the door is told: its verdict is "Void — do not admit"
    buyer = BeautifulSoup((await shop.browser.get(f"/passes/{public_id}")).text, "html.parser")
    assert [li["data-valid"] for li in buyer.select("#passes li.pass")].count("false") == 1
