"""The event's after-the-sale pages (issue 17): an owner cancels an event from the dashboard
(confirmation naming what it touches, then progress), staff issue comps one by one and from a CSV
file (counted against capacity, in the exports, at the door), and email the ticket holders with
a preview and a count."""

from __future__ import annotations

import csv
import io
import zipfile

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import (
    AuditEntry,
    Broadcast,
    Event,
    Order,
    OutboxMessage,
    Pass,
    PassChange,
    TicketTier,
)
from api.mail.outbox import preview
from tests.forms import csrf_token
from tests.jobs import run_jobs
from tests.shop import Shop, order_state


async def _event_id(db: AsyncSession, shop: Shop) -> str:
    found = await db.scalar(select(Event.id).where(Event.slug == shop.slug))
    return str(found)


def _soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def _post(shop: Shop, page_url: str, url: str, data: dict[str, str]) -> httpx.Response:
    page = await shop.browser.get(page_url)
    return await shop.browser.post(url, data={"_csrf_token": csrf_token(page.text), **data})


async def test_an_owner_cancels_an_event_from_the_dashboard_and_follows_the_refunds(
    shop: Shop, db: AsyncSession
) -> None:
    response = await shop.buy(2, email="ana@example.com")
    session_id = response.headers["location"].rsplit("/", 1)[-1]
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    public_id = shop.standin.get(session_id)["success_url"].split("/passes/")[1].split("?")[0]
    await shop.staff_signs_in(db, "owner@venue.example")
    event_id = await _event_id(db, shop)
    url = f"/admin/events/{event_id}/cancel"

    edit = _soup(await shop.browser.get(f"/admin/events/{event_id}"))
    assert (link := edit.select_one("a#cancel-link")) is not None
    assert link["href"] == url
    confirm = _soup(await shop.browser.get(url))
    affected = confirm.select_one("#affected")
    assert affected is not None
    assert (affected["data-orders"], affected["data-passes"], affected["data-paid-orders"]) == (
        "1", "2", "1",
    )  # fmt: skip

    wrong = await _post(shop, url, url, {"confirm": "yes", "message": ""})
    assert wrong.status_code == 400
    assert _soup(wrong).select_one("#errors") is not None
    assert (await order_state(db, public_id))[0] == "paid"

    name = (await db.scalar(select(Event.name).where(Event.slug == shop.slug))) or ""
    done = await _post(shop, url, url, {"confirm": name, "message": "Sorry, the storm."})
    assert done.status_code == 303
    progress = _soup(await shop.browser.get(url)).select_one("#progress")
    assert progress is not None
    assert progress.select_one("[data-count=pending]").get_text() == "1"  # type: ignore[union-attr]

    # The public page says so at once, and sells nothing.
    page = _soup(await shop.browser.get(f"/e/{shop.slug}"))
    assert page.select_one("[data-event=cancelled]") is not None
    assert page.select_one("form[action$='/checkout']") is None
    edit = _soup(await shop.browser.get(f"/admin/events/{event_id}"))
    assert edit.select_one("#event-cancelled[data-event=cancelled]") is not None

    await run_jobs(shop.settings)
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void", "void"])
    progress = _soup(await shop.browser.get(url)).select_one("#progress")
    assert progress is not None
    assert progress["data-done"] == "yes"
    assert progress.select_one("[data-count=refunded]").get_text() == "1"  # type: ignore[union-attr]
    assert progress.select_one("[data-count=valid_passes]").get_text() == "0"  # type: ignore[union-attr]
    audit = await db.scalar(select(AuditEntry).where(AuditEntry.action == "event.cancelled"))
    assert audit is not None
    assert audit.actor == "owner@venue.example"


async def test_a_manager_may_not_cancel_an_event(shop: Shop, db: AsyncSession) -> None:
    await shop.staff_signs_in(db, "manager@venue.example", role="manager")
    event_id = await _event_id(db, shop)
    url = f"/admin/events/{event_id}/cancel"
    page = _soup(await shop.browser.get(url))
    assert page.select_one("form#cancel-form") is None
    name = (await db.scalar(select(Event.name).where(Event.slug == shop.slug))) or ""
    refused = await _post(shop, f"/admin/events/{event_id}/comps", url, {"confirm": name})
    assert refused.status_code == 403
    db.expire_all()
    assert await db.scalar(select(Event.cancelled_at).where(Event.slug == shop.slug)) is None


async def test_comps_count_against_capacity_reach_the_door_and_the_exports(
    shop: Shop, db: AsyncSession
) -> None:
    await shop.staff_signs_in(db, "owner@venue.example")
    event_id = await _event_id(db, shop)
    url = f"/admin/events/{event_id}/comps"
    tier = str(shop.tier_id)

    issued = await _post(shop, url, url, {
        "name": "Dana Guest", "email": "Dana@Example.com", "tier": tier, "quantity": "3",
        "send_email": "on",
    })  # fmt: skip
    assert issued.status_code == 200, issued.text
    assert "Issued 3 VIP passes to Dana Guest." in _soup(issued).select_one("#note").get_text()  # type: ignore[union-attr]
    order = await db.scalar(select(Order).where(Order.buyer_name == "Dana Guest"))
    assert order is not None
    assert (order.source, order.status, order.total_minor, order.buyer_email) == (
        "comp", "paid", 0, "dana@example.com",
    )  # fmt: skip
    assert await db.scalar(select(TicketTier.sold).where(TicketTier.id == shop.tier_id)) == 3
    passes = list(await db.scalars(select(Pass).where(Pass.order_id == order.id)))
    assert len(passes) == 3
    issued_changes = await db.scalars(
        select(PassChange.reason).where(PassChange.pass_id.in_([p.id for p in passes]))
    )
    assert list(issued_changes) == ["issued"] * 3  # the door pulls them like any pass
    mail = await db.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "order_confirmation",
        OutboxMessage.payload["order_id"].astext == str(order.id)))  # fmt: skip
    assert mail is not None
    assert not shop.standin.requests  # Stripe never hears of a comp

    # No email asked for: none queued. Past capacity: refused, nothing written.
    quiet = await _post(shop, url, url, {"name": "Eli", "tier": tier, "quantity": "2"})
    assert quiet.status_code == 200
    eli = await db.scalar(select(Order.id).where(Order.buyer_name == "Eli"))
    assert await db.scalar(select(OutboxMessage.id).where(
        OutboxMessage.payload["order_id"].astext == str(eli))) is None  # fmt: skip
    full = await _post(shop, url, url, {"name": "Fay", "tier": tier, "quantity": "6"})
    assert full.status_code == 400
    assert "5 left" in _soup(full).select_one("#errors").get_text()  # type: ignore[union-attr]
    assert await db.scalar(select(Order.id).where(Order.buyer_name == "Fay")) is None

    export = await shop.browser.get("/admin/export.zip")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        name = next(n for n in archive.namelist() if n.endswith("orders.csv"))
        rows = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
    assert {row["buyer_name"]: row["source"] for row in rows} == {
        "Dana Guest": "comp", "Eli": "comp",
    }  # fmt: skip


async def _import(shop: Shop, url: str, text: str) -> httpx.Response:
    page = await shop.browser.get(url)
    return await shop.browser.post(
        f"{url}/import",
        data={"_csrf_token": csrf_token(page.text)},
        files={"file": ("guests.csv", text.encode(), "text/csv")},
    )


async def test_a_guest_list_with_a_bad_row_issues_nothing_and_names_each_problem(
    shop: Shop, db: AsyncSession
) -> None:
    await shop.staff_signs_in(db, "owner@venue.example")
    url = f"/admin/events/{await _event_id(db, shop)}/comps"
    bad = await _import(shop, url, (
        "name,email,tier,quantity\n"
        "Gus,gus@example.com,VIP,2\n"
        ",nobody@example.com,VIP,1\n"
        "Hal,not-an-address,Balcony,0\n"
    ))  # fmt: skip
    assert bad.status_code == 400
    report = _soup(bad).select_one("#import-report")
    assert report is not None
    assert report["data-issued"] == "0"
    results = {row["data-line"]: row["data-result"] for row in report.select("tr[data-line]")}
    assert results == {"2": "not issued", "3": "error", "4": "error"}
    line4 = report.select_one("tr[data-line='4']").get_text()  # type: ignore[union-attr]
    assert "not an email address" in line4
    assert "No tier 'Balcony'" in line4
    assert "quantity" in line4
    assert await db.scalar(select(Order.id).where(Order.source == "comp")) is None

    over = await _import(shop, url, "name,tier,quantity\nIda,VIP,8\nJo,VIP,3\n")
    assert over.status_code == 400
    assert "10 seats left; this file asks for 11" in over.text

    good = await _import(
        shop, url, "Name,Email,Tier,Quantity\nIda,ida@example.com,vip,\nJo,,VIP,4\n"
    )
    assert good.status_code == 200, good.text
    report = _soup(good).select_one("#import-report")
    assert report is not None
    assert report["data-issued"] == "2"
    db.expire_all()
    assert await db.scalar(select(TicketTier.sold).where(TicketTier.id == shop.tier_id)) == 5
    comps = {o.buyer_name: o.buyer_email for o in await db.scalars(
        select(Order).where(Order.source == "comp"))}  # fmt: skip
    assert comps == {"Ida": "ida@example.com", "Jo": ""}


async def test_ticket_holders_get_one_message_each_after_a_preview_and_a_count(
    shop: Shop, db: AsyncSession
) -> None:
    await shop.staff_signs_in(db, "owner@venue.example")
    event_id = await _event_id(db, shop)
    comps_url = f"/admin/events/{event_id}/comps"
    tier = str(shop.tier_id)
    for name, email, quantity in (("Kim", "kim@example.com", "2"), ("Lou", "", "1")):
        guest = {"name": name, "email": email, "tier": tier, "quantity": quantity}
        await _post(shop, comps_url, comps_url, guest)
    await _post(shop, comps_url, comps_url, {
        "name": "Kim again", "email": "kim@example.com", "tier": str(shop.tier_id)})  # fmt: skip
    url = f"/admin/events/{event_id}/message"
    body = "Doors open at 7.\nBring a coat."
    shown = await _post(shop, url, f"{url}/preview", {"subject": "Doors at 7", "body": body})
    assert shown.status_code == 200
    section = _soup(shown).select_one("#preview")
    assert section is not None
    assert section["data-recipients"] == "1"
    assert "1 guest with no email address" in section.get_text()
    text = section.select_one("#preview-text").get_text()  # type: ignore[union-attr]
    assert "Subject: Doors at 7" in text
    assert "Bring a coat." in text
    assert await db.scalar(select(Broadcast.id)) is None  # a preview sends nothing

    send_form = _soup(shown).select_one("form#send-form")
    assert send_form is not None
    fields = {i["name"]: i.get("value", "") for i in send_form.select("input")}
    sent = await shop.browser.post(f"{url}/send", data=fields)
    assert sent.status_code == 200
    assert "Queued 1 email." in _soup(sent).select_one("#note").get_text()  # type: ignore[union-attr]
    rows = list(await db.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "holder_message")))  # fmt: skip
    assert [r.payload["email"] for r in rows] == ["kim@example.com"]
    rendered = await preview(db, row=rows[0], settings=shop.settings)
    assert "Subject: Doors at 7" in rendered
    assert "Bring a coat." in rendered
    assert await db.scalar(select(AuditEntry.id).where(AuditEntry.action == "holders.messaged"))

    # A count that no longer holds (a new holder meanwhile) is refused, nothing queued.
    await _post(shop, comps_url, comps_url, {
        "name": "Max", "email": "max@example.com", "tier": str(shop.tier_id)})  # fmt: skip
    stale = await shop.browser.post(f"{url}/send", data=fields)
    assert stale.status_code == 400
    assert "changed since the preview" in stale.text
    assert len(list(await db.scalars(select(OutboxMessage.id).where(
        OutboxMessage.kind == "holder_message")))) == 1  # fmt: skip
