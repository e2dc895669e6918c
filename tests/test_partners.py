"""Partner sites that sell (issue 18): an organizer registers a site, the site frames the embed,
and a buyer with no cookies at all (a third-party frame keeps none) buys through it; the order,
its email, the event's report and the orders export name the partner."""

from __future__ import annotations

import csv
import io
import time
import uuid
import zipfile

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Order, OrderStatus, OrganizerMember, PartnerSite, TicketTier
from api.errors import Invalid
from api.mail import content
from api.partners import services, tokens
from api.settings import Settings
from tests import factories
from tests.forms import csrf_token
from tests.pages import one, parse, rows, text
from tests.shop import Shop, order_state
from tests.test_attendee_details import form_of
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]
OWNER, MANAGER, DOOR = "owner@reef.example", "mo@reef.example", "dee@reef.example"


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://AlohaCalendar.example/events/today?x=1", "https://alohacalendar.example"),
        ("alohacalendar.example", "https://alohacalendar.example"),
        ("https://lfe.example:443/", "https://lfe.example"),
        ("https://lfe.example:8443", "https://lfe.example:8443"),
        ("http://localhost:8123/page.html", "http://localhost:8123"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ],
)
def test_a_partner_address_is_kept_as_the_origin_browsers_compare(typed: str, origin: str) -> None:
    assert services.parse_origin(typed) == origin


@pytest.mark.parametrize(
    "typed", ["http://alohacalendar.example", "ftp://x.example", "https://", "https://a b.example"]
)
def test_a_partner_address_that_cannot_frame_the_embed_is_refused(typed: str) -> None:
    with pytest.raises(Invalid):
        services.parse_origin(typed)


def test_an_embed_token_names_its_event_and_partner_and_ages_out() -> None:
    event_id, partner_id = uuid.uuid4(), uuid.uuid4()
    token = tokens.issue("k" * 48, event_id=event_id, partner_id=partner_id)
    assert tokens.read("k" * 48, token) == tokens.FormToken(event_id, partner_id)
    assert tokens.read("other-secret" * 4, token) is None
    forged = token.replace(partner_id.hex, uuid.uuid4().hex)
    assert tokens.read("k" * 48, forged) is None
    later = time.time() + tokens.LIFETIME + 61
    assert tokens.read("k" * 48, token, now=later) is None
    assert tokens.read("k" * 48, "v1.not.a.token") is None


async def reef(db: AsyncSession, *, price_minor: int = 0) -> tuple[Event, TicketTier]:
    organizer = await factories.organizer(db, name="Reef Bar")
    for email, role in ((OWNER, "owner"), (MANAGER, "manager"), (DOOR, "door_lead")):
        db.add(OrganizerMember(organizer_id=organizer.id, email=email, role=role))
    event = await factories.event(db, name="Low Tide", org=organizer)
    tier = await factories.tier(db, event=event, name="Floor", capacity=20, price_minor=price_minor)
    await db.commit()
    return event, tier


async def add_partner(db: AsyncSession, event: Event, name: str, origin: str) -> PartnerSite:
    return await services.add_partner(
        db, organizer_id=event.organizer_id, name=name, origin=origin, actor=OWNER
    )


def embed_form(html: str) -> dict[str, str]:
    return form_of(html, "#embed-form")


async def test_a_manager_registers_a_partner_and_copies_its_snippet_for_an_event(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _ = await reef(db)
    await sign_in(client, db, settings, MANAGER)
    await db.refresh(event)
    overview = await client.get(f"/admin/events/{event.id}/overview")
    link = one(overview.text, '#actions a:-soup-contains("Partner sites")')
    listing = await client.get(str(link["href"]), follow_redirects=True)
    assert listing.status_code == 200
    assert text(listing.text, "#partners tbody") == "No partner sites yet."

    added = await client.post(
        f"/admin/organizers/{event.organizer_id}/partners/",
        data={
            "_csrf_token": csrf_token(listing.text),
            "name": "Aloha Calendar",
            "origin": "https://AlohaCalendar.example/whats-on",
        },
    )
    assert added.status_code == 200  # after the redirect: the list
    row = one(added.text, '#partners tr[data-partner="Aloha Calendar"]')
    assert row["data-origin"] == "https://alohacalendar.example"
    partner = await db.scalar(
        select(PartnerSite).where(PartnerSite.organizer_id == event.organizer_id)
    )
    assert partner is not None
    pasted = parse(text(added.text, "[data-snippet]"))
    iframe, script = pasted.select_one("iframe"), pasted.select_one("script")
    assert iframe is not None
    assert script is not None
    assert iframe["src"] == f"{settings.base_url}/e/{event.slug}/embed?partner={partner.id}"
    assert script["src"] == f"{settings.base_url}/partners/embed.js"

    again = await client.post(
        f"/admin/organizers/{event.organizer_id}/partners/",
        data={
            "_csrf_token": csrf_token(added.text),
            "name": "Aloha",
            "origin": "alohacalendar.example",
        },
    )
    assert again.status_code == 422
    assert "registered already" in text(again.text, "#note")

    removed = await client.post(
        f"/admin/organizers/{event.organizer_id}/partners/{partner.id}/remove",
        data={"_csrf_token": csrf_token(again.text)},
    )
    assert removed.status_code == 200
    assert text(removed.text, "#partners tbody") == "No partner sites yet."


async def test_door_leads_and_other_organizers_staff_cannot_manage_partner_sites(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _ = await reef(db)
    other = await factories.organizer(db, name="Other Venue")
    await db.commit()
    await sign_in(client, db, settings, DOOR)
    await db.refresh(event)
    await db.refresh(other)
    mine = await client.get(f"/admin/organizers/{event.organizer_id}/partners/")
    assert mine.status_code == 403
    theirs = await client.get(f"/admin/organizers/{other.id}/partners/")
    assert theirs.status_code == 404


async def test_the_embed_may_be_framed_by_its_partner_only(
    client: Client, db: AsyncSession
) -> None:
    event, _ = await reef(db)
    aloha = await add_partner(db, event, "Aloha Calendar", "https://alohacalendar.example")
    await add_partner(db, event, "LFE", "https://lfe.example")
    page = await client.get(f"/e/{event.slug}/embed?partner={aloha.id}")
    assert page.status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
    )
    assert policy["frame-ancestors"] == "https://alohacalendar.example"
    form = one(page.text, "#embed-form")
    assert form["target"] == "_blank"  # checkout opens in a tab of its own
    assert form["action"] == f"/e/{event.slug}/embed/checkout"
    # no other page may be framed by anyone, the event's own page included
    for path in ("/login", f"/e/{event.slug}", f"/e/{event.slug}/event.ics"):
        elsewhere_policy = (await client.get(path)).headers["content-security-policy"]
        assert "frame-ancestors 'none'" in elsewhere_policy, path

    other = await factories.organizer(db, name="Other Venue")
    elsewhere = await services.add_partner(
        db, organizer_id=other.id, name="Elsewhere", origin="https://elsewhere.example", actor="x"
    )
    for partner in (str(elsewhere.id), "not-an-id", ""):
        refused = await client.get(f"/e/{event.slug}/embed?partner={partner}")
        assert refused.status_code == 404
        assert "not set up for this site" in refused.text
    await services.remove_partner(
        db, organizer_id=event.organizer_id, partner_id=aloha.id, actor=OWNER
    )
    assert (await client.get(f"/e/{event.slug}/embed?partner={aloha.id}")).status_code == 404


async def test_a_buyer_with_no_cookies_gets_free_tickets_from_a_partner_page(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    """The frame keeps no cookie (third-party), so the POST carries none: the form's token is
    what lets it through, and the passes page opens in the buyer's new tab."""
    event, tier = await reef(db)
    aloha = await add_partner(db, event, "Aloha Calendar", "https://alohacalendar.example")
    page = await client.get(f"/e/{event.slug}/embed?partner={aloha.id}")
    sent = embed_form(page.text) | {f"qty-{tier.id}": "2", "email": "ana@example.com"}
    assert "_csrf_token" not in sent
    client.cookies.clear()
    bought = await client.post(f"/e/{event.slug}/embed/checkout", data=sent, follow_redirects=False)
    assert bought.status_code == 303, bought.text
    assert bought.headers["location"].startswith("/passes/")

    order = await db.scalar(select(Order).where(Order.event_id == event.id))
    assert order is not None
    assert (order.status, order.partner_site_id) == (OrderStatus.paid, aloha.id)
    assert order.source_site == "Aloha Calendar"
    passes = await client.get(bought.headers["location"])
    assert len(parse(passes.text).select(".qr")) == 2
    assert "Purchased on Aloha Calendar" in parse(passes.text).get_text(" ", strip=True)
    email = await content.tickets(db, order_id=order.id, settings=settings)
    assert "Purchased on Aloha Calendar" in email.text
    assert "Purchased on Aloha Calendar" in parse(email.html).get_text(" ", strip=True)


async def test_a_form_with_an_altered_or_foreign_token_sells_nothing(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, tier = await reef(db)
    other_event = await factories.event(db, name="High Tide")
    aloha = await add_partner(db, event, "Aloha Calendar", "https://alohacalendar.example")
    chosen = {f"qty-{tier.id}": "1", "email": "ana@example.com"}
    foreign = tokens.issue(settings.secret_key, event_id=other_event.id, partner_id=aloha.id)
    for token in ("", "v1.x.y.z.w", foreign):
        refused = await client.post(
            f"/e/{event.slug}/embed/checkout", data={**chosen, "embed_token": token}
        )
        assert refused.status_code == 403
        assert "too old or was altered" in refused.text
    page = await client.get(f"/e/{event.slug}/embed?partner={aloha.id}")
    await services.remove_partner(
        db, organizer_id=event.organizer_id, partner_id=aloha.id, actor=OWNER
    )
    late = await client.post(f"/e/{event.slug}/embed/checkout", data=embed_form(page.text) | chosen)
    assert late.status_code == 403
    assert await db.scalar(select(Order.id).where(Order.event_id == event.id)) is None


async def test_a_refused_embed_form_comes_back_in_its_tab_with_what_was_typed(
    client: Client, db: AsyncSession
) -> None:
    event, tier = await reef(db)
    aloha = await add_partner(db, event, "Aloha Calendar", "https://alohacalendar.example")
    page = await client.get(f"/e/{event.slug}/embed?partner={aloha.id}")
    sent = embed_form(page.text) | {f"qty-{tier.id}": "0", "email": "ana@example.com"}
    refused = await client.post(f"/e/{event.slug}/embed/checkout", data=sent)
    assert refused.status_code == 422
    assert text(refused.text, "#form-error") == "Choose at least one ticket."
    form = one(refused.text, "#embed-form")
    assert not form.has_attr("target")  # in its own tab now: it posts in place
    again = embed_form(refused.text) | {f"qty-{tier.id}": "1"}
    assert again["email"] == "ana@example.com"
    done = await client.post(f"/e/{event.slug}/embed/checkout", data=again, follow_redirects=False)
    assert done.status_code == 303


async def test_the_attendee_details_step_works_from_a_partner_page(
    client: Client, db: AsyncSession
) -> None:
    event, tier = await reef(db)
    event.attendee_names = "required"
    await db.commit()
    aloha = await add_partner(db, event, "Aloha Calendar", "https://alohacalendar.example")
    page = await client.get(f"/e/{event.slug}/embed?partner={aloha.id}")
    client.cookies.clear()
    sent = embed_form(page.text) | {f"qty-{tier.id}": "1", "email": "ana@example.com"}
    step = await client.post(f"/e/{event.slug}/embed/checkout", data=sent)
    assert step.status_code == 200
    assert one(step.text, "#details-form")["action"] == f"/e/{event.slug}/embed/checkout"
    details = form_of(step.text, "#details-form") | {f"a-{tier.id}-1-name": "Ana Lima"}
    client.cookies.clear()
    done = await client.post(
        f"/e/{event.slug}/embed/checkout", data=details, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    order = await db.scalar(select(Order).where(Order.event_id == event.id))
    assert order is not None
    assert (order.status, order.partner_site_id) == (OrderStatus.paid, aloha.id)


async def test_a_paid_embed_sale_goes_to_stripe_checkout_and_is_reported_per_partner(
    shop: Shop, db: AsyncSession
) -> None:
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    event_id = event.id
    db.add(OrganizerMember(organizer_id=event.organizer_id, email=OWNER, role="owner"))
    await db.commit()
    aloha = await add_partner(db, event, "Aloha Calendar", "https://alohacalendar.example")
    async with httpx.AsyncClient(base_url=shop.url, timeout=30) as frame:
        page = await frame.get(f"/e/{shop.slug}/embed?partner={aloha.id}")
        frame.cookies.clear()
        sent = embed_form(page.text) | {f"qty-{shop.tier_id}": "2", "email": "kai@example.com"}
        to_stripe = await frame.post(f"/e/{shop.slug}/embed/checkout", data=sent)
    assert to_stripe.status_code == 303, to_stripe.text
    session_id = to_stripe.headers["location"].rsplit("/", 1)[-1]
    assert to_stripe.headers["location"].startswith(shop.standin.url)
    public_id = shop.standin.get(session_id)["success_url"].split("/passes/")[1].split("?")[0]
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    status, *_ = await order_state(db, public_id)
    assert status == OrderStatus.paid
    await shop.buy(1, email="direct@example.com")  # an unpaid direct checkout: not a sale

    sales = await services.sales_by_partner(db, event_id=event_id)
    assert [(s.name, s.orders, s.tickets, s.gross_minor) for s in sales] == [
        ("Aloha Calendar", 1, 2, 5000)
    ]

    staff = shop.browser  # the operator, by HTTP Basic
    auth = httpx.BasicAuth(shop.settings.admin_username, shop.settings.admin_password)
    report = await staff.get(f"/admin/events/{event_id}/reports/", auth=auth)
    assert report.status_code == 200
    assert rows(report.text, '[data-report="partners"] tbody tr') == [
        ["Aloha Calendar", "https://alohacalendar.example", "1", "2", "$50.00"]
    ]
    export = await staff.get("/admin/export.zip", auth=auth)
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        orders = archive.read("orders.csv").decode("utf-8-sig")
    sites = {
        line["buyer_email"]: line["source_site"] for line in csv.DictReader(io.StringIO(orders))
    }
    assert sites == {"kai@example.com": "Aloha Calendar", "direct@example.com": ""}


async def test_the_scripts_that_fit_the_frame_to_the_ticket_box_are_served(client: Client) -> None:
    for name in ("embed.js", "frame.js"):
        script = await client.get(f"/partners/{name}")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert "embed-height" in script.text
    assert (await client.get("/partners/other.js")).status_code == 404


async def test_the_ticket_box_speaks_the_buyers_language(client: Client, db: AsyncSession) -> None:
    event, _ = await reef(db)
    aloha = await add_partner(db, event, "Aloha Calendar", "https://alohacalendar.example")
    page = await client.get(
        f"/e/{event.slug}/embed?partner={aloha.id}", headers={"Accept-Language": "de"}
    )
    assert text(page.text, "#opens-tab") == "Die Kasse öffnet sich in einem neuen Tab."
    assert text(page.text, "#embed-buy") != "Get tickets"
