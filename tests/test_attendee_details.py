"""Attendee details (issue 17): a name per ticket and the event's questions, asked on a page of
their own before the order is placed (free) or paid (Stripe Checkout), kept per pass, and shown
on the buyer's passes page, the dashboard's order page, the exports and the door's guest list."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.services import create_pairing
from api.checkout.attendees import Asked, Question, blank, read
from api.db import Attendee, AttendeeQuestion, Code, Event, Order, OrderStatus, Pass, TicketTier
from api.mail import content
from api.passes.services import shown_passes
from api.passes.tokens import pass_key_text
from api.settings import Settings
from api.wallet.tickets import find_ticket
from tests import factories
from tests.pages import parse, text, texts, values
from tests.shop import OPERATOR, Shop, order_state

Client = AsyncTestClient[Litestar]
HTTPClient = Client | httpx.AsyncClient
Festival = tuple[Event, TicketTier, TicketTier, dict[str, AttendeeQuestion]]


def form_of(html: str, selector: str) -> dict[str, str]:
    """What a browser would send for the form `selector` as it stands: hidden and typed inputs,
    ticked boxes and radios."""
    sent: dict[str, str] = {}
    for field in parse(html).select(f"{selector} input"):
        kind, name = field.get("type", "text"), field.get("name")
        if not name:
            continue
        if kind in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        sent[str(name)] = str(field.get("value", ""))
    return sent


async def event_page_form(client: HTTPClient, event_slug: str) -> dict[str, str]:
    page = await client.get(f"/e/{event_slug}")
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))


async def add_question(
    db: AsyncSession, event_id: uuid.UUID, label: str, kind: str = "text", *,
    required: bool = False, options: list[str] | None = None, tiers: list[uuid.UUID] | None = None,
    position: int = 0,
) -> AttendeeQuestion:  # fmt: skip
    question = AttendeeQuestion(
        event_id=event_id, label=label, kind=kind, required=required, options=options or [],
        tier_ids=tiers, position=position,
    )  # fmt: skip
    db.add(question)
    await db.flush()
    return question


@pytest.fixture
async def festival(db: AsyncSession) -> Festival:
    """A free event asking a name per ticket (required), a diet for every ticket (required),
    a T-shirt size for Crew only, and a photo consent (optional checkbox)."""
    event = await factories.event(db, name="Reef Fest")
    event.attendee_names = "required"
    floor = await factories.tier(db, event=event, name="Floor", capacity=10)
    crew = await factories.tier(db, event=event, name="Crew", capacity=10)
    crew.position = 1
    asked = {
        "diet": await add_question(db, event.id, "Diet", required=True, position=0),
        "shirt": await add_question(
            db,
            event.id,
            "T-shirt size",
            "choice",
            options=["S", "M", "L"],
            tiers=[crew.id],
            position=1,
        ),
        "photos": await add_question(db, event.id, "Photos are fine", "checkbox", position=2),
    }
    await db.commit()
    return event, floor, crew, asked


async def test_a_free_order_asks_each_tickets_details_first_and_keeps_them_on_each_pass(
    client: Client, db: AsyncSession, settings: Settings, festival: Festival
) -> None:
    event, floor, crew, asked = festival
    chosen = {
        **await event_page_form(client, event.slug),
        f"qty-{floor.id}": "2", f"qty-{crew.id}": "1", "email": "ana@example.com",
        "name": "Ana Lima",
    }  # fmt: skip

    step = await client.post(f"/e/{event.slug}/checkout", data=chosen, follow_redirects=False)

    # Nothing is placed yet: the buyer is asked who the three tickets are for.
    assert step.status_code == 200
    assert await db.scalar(select(func.count()).select_from(Order)) == 0
    assert texts(step.text, "fieldset[data-ticket] > legend") == [
        "Floor · ticket 1", "Floor · ticket 2", "Crew · ticket 1",
    ]  # fmt: skip
    crew_ticket = parse(step.text).select_one('fieldset[data-ticket="Crew 1"]')
    assert crew_ticket is not None
    assert values(crew_ticket, "[data-question]", "data-question") == [
        "Diet", "T-shirt size", "Photos are fine",
    ]  # fmt: skip
    floor_ticket = parse(step.text).select_one('fieldset[data-ticket="Floor 1"]')
    assert floor_ticket is not None
    assert values(floor_ticket, "[data-question]", "data-question") == ["Diet", "Photos are fine"]
    sent = form_of(step.text, "#details-form")
    name_1 = f"a-{floor.id}-1-name"
    assert sent[name_1] == "Ana Lima", "the buyer's name fills in the first ticket"

    # Ticket 2's name and the Crew diet are left empty, the shirt answer is forged.
    sent |= {
        f"a-{floor.id}-1-{asked['diet'].id}": "Vegan", f"a-{floor.id}-2-{asked['diet'].id}": "None",
        f"a-{crew.id}-1-name": "Kai Nui", f"a-{crew.id}-1-{asked['shirt'].id}": "XXL",
        f"a-{floor.id}-1-{asked['photos'].id}": "yes",
    }  # fmt: skip
    refused = await client.post(f"/e/{event.slug}/checkout", data=sent, follow_redirects=False)

    assert refused.status_code == 422
    errors = dict(zip(
        values(refused.text, "[data-field-error]", "data-field-error"),
        texts(refused.text, "[data-field-error]"), strict=True,
    ))  # fmt: skip
    assert errors == {
        f"a-{floor.id}-2-name": "Enter the name of the person this ticket is for.",
        f"a-{crew.id}-1-{asked['diet'].id}": "Answer this question.",
        f"a-{crew.id}-1-{asked['shirt'].id}": "Choose one of the answers listed.",
    }
    assert "Floor ticket 2, attendee name" in text(refused.text, "#details-errors")
    assert await db.scalar(select(func.count()).select_from(Order)) == 0
    again = form_of(refused.text, "#details-form")
    assert again[f"a-{floor.id}-1-{asked['diet'].id}"] == "Vegan", "what was typed stays"

    again |= {
        f"a-{floor.id}-2-name": "Noe Kahale", f"a-{crew.id}-1-{asked['diet'].id}": "Fish",
        f"a-{crew.id}-1-{asked['shirt'].id}": "M",
    }  # fmt: skip
    placed = await client.post(f"/e/{event.slug}/checkout", data=again, follow_redirects=False)

    assert placed.status_code == 303, placed.text
    order = await db.scalar(select(Order).where(Order.event_id == event.id))
    assert order is not None
    assert order.status == OrderStatus.paid
    held = (
        await db.execute(
            select(Attendee.name, Attendee.answers, Pass.tier_id)
            .join(Pass, Pass.id == Attendee.pass_id)
            .where(Attendee.order_id == order.id)
            .order_by(Pass.change_seq)
        )
    ).all()
    assert sorted((name, tier) for name, _, tier in held) == sorted([
        ("Ana Lima", floor.id), ("Noe Kahale", floor.id), ("Kai Nui", crew.id),
    ])  # fmt: skip
    by_name = {name: answers for name, answers, _ in held}
    assert by_name["Ana Lima"] == {str(asked["diet"].id): "Vegan", str(asked["photos"].id): "yes"}
    assert by_name["Kai Nui"] == {str(asked["diet"].id): "Fish", str(asked["shirt"].id): "M"}

    passes_page = await client.get(placed.headers["location"])
    assert sorted(texts(passes_page.text, "#passes [data-holder]")) == [
        "Ana Lima", "Kai Nui", "Noe Kahale",
    ]  # fmt: skip

    # The ticket email and the wallet passes name each ticket's holder too.
    draft = await content.tickets(db, order_id=order.id, settings=settings)
    lines = draft.text.splitlines()
    assert "2 x Floor: Free" in lines  # a free line says so once, not "at Free: Free"
    named = [line for line in lines if line.startswith("Pass ")]
    assert sorted(line.split(", ")[2].split(" (")[0] for line in named) == [
        "Ana Lima", "Kai Nui", "Noe Kahale",
    ]  # fmt: skip
    shown = await shown_passes(db, order=order, secret_key=settings.secret_key)
    ticket = await find_ticket(
        db, order_public_id=order.public_id, pass_id=shown[0].pass_id,
        secret_key=settings.secret_key,
    )  # fmt: skip
    assert ticket is not None
    assert ticket.holder == shown[0].holder
    assert ticket.holder in ("Ana Lima", "Kai Nui", "Noe Kahale")


async def test_an_order_whose_details_cannot_be_written_is_not_placed_either(
    client: Client, db: AsyncSession, festival: Festival, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order and its tickets' details are one transaction: a database lost between them
    (here, at the details) leaves neither, so the buyer's retry is their one order."""
    event, floor, _, asked = festival

    async def lost(*_args: object, **_kwargs: object) -> None:
        raise DBAPIError("INSERT INTO attendee …", None, OSError("connection lost"),
                         connection_invalidated=True)  # fmt: skip

    chosen = {**await event_page_form(client, event.slug), f"qty-{floor.id}": "1",
              "email": "ana@example.com", "name": "Ana Lima"}  # fmt: skip
    step = await client.post(f"/e/{event.slug}/checkout", data=chosen, follow_redirects=False)
    sent = form_of(step.text, "#details-form") | {f"a-{floor.id}-1-{asked['diet'].id}": "Vegan"}
    monkeypatch.setattr("api.checkout.attendees.add_details", lost)

    failed = await client.post(f"/e/{event.slug}/checkout", data=sent, follow_redirects=False)

    assert failed.status_code == 503
    assert await db.scalar(select(func.count()).select_from(Order)) == 0
    assert await db.scalar(select(TicketTier.sold).where(TicketTier.id == floor.id)) == 0
    monkeypatch.undo()
    placed = await client.post(f"/e/{event.slug}/checkout", data=sent, follow_redirects=False)
    assert placed.status_code == 303, placed.text
    assert await db.scalar(select(func.count()).select_from(Order)) == 1


async def test_an_event_asking_nothing_checks_out_in_one_step_as_before(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event, name="Floor")
    await db.commit()
    form = {**await event_page_form(client, event.slug), f"qty-{tier.id}": "1",
            "email": "a@example.com"}  # fmt: skip

    response = await client.post(f"/e/{event.slug}/checkout", data=form, follow_redirects=False)

    assert response.status_code == 303
    assert await db.scalar(select(func.count()).select_from(Attendee)) == 0


async def test_seats_gone_while_the_buyer_typed_are_said_on_the_details_page_keeping_the_answers(
    client: Client, db: AsyncSession, festival: Festival
) -> None:
    event, floor, _, asked = festival
    chosen = {**await event_page_form(client, event.slug), f"qty-{floor.id}": "2",
              "email": "a@example.com"}  # fmt: skip
    step = await client.post(f"/e/{event.slug}/checkout", data=chosen)
    sent = form_of(step.text, "#details-form") | {
        f"a-{floor.id}-1-name": "Ana Lima", f"a-{floor.id}-2-name": "Noe Kahale",
        f"a-{floor.id}-1-{asked['diet'].id}": "Vegan", f"a-{floor.id}-2-{asked['diet'].id}": "-",
    }  # fmt: skip
    floor.sold = floor.capacity - 1  # someone else bought all but one meanwhile
    await db.commit()

    refused = await client.post(f"/e/{event.slug}/checkout", data=sent, follow_redirects=False)

    assert refused.status_code == 422
    assert text(refused.text, "#form-error").startswith("Sold out: not enough Floor tickets left.")
    assert form_of(refused.text, "#details-form")[f"a-{floor.id}-1-name"] == "Ana Lima"
    assert await db.scalar(select(func.count()).select_from(Order)) == 0


async def test_tickets_of_tiers_asked_nothing_check_out_in_one_step(
    client: Client, db: AsyncSession, festival: Festival
) -> None:
    event, floor, crew, asked = festival
    event.attendee_names = "off"
    for question in asked.values():
        question.tier_ids = [crew.id]
    await db.commit()
    form = {**await event_page_form(client, event.slug), f"qty-{floor.id}": "2",
            "email": "a@example.com"}  # fmt: skip

    response = await client.post(f"/e/{event.slug}/checkout", data=form, follow_redirects=False)

    assert response.status_code == 303
    assert await db.scalar(select(func.count()).select_from(Attendee)) == 0


async def test_a_bad_email_is_said_on_the_event_page_before_any_details_are_asked(
    client: Client, db: AsyncSession, festival: Festival
) -> None:
    event, floor, _, _ = festival
    form = {**await event_page_form(client, event.slug), f"qty-{floor.id}": "1",
            "email": "not-an-email"}  # fmt: skip

    response = await client.post(f"/e/{event.slug}/checkout", data=form, follow_redirects=False)

    assert response.status_code == 422
    assert "Enter a valid email address" in text(response.text, "#form-error")
    assert parse(response.text).select("#details-form") == []


async def test_a_paid_order_keeps_its_details_through_stripe_and_the_webhook_ties_them_to_passes(
    shop: Shop, db: AsyncSession
) -> None:
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    event.attendee_names = "optional"
    company = (await add_question(db, event.id, "Company", required=True)).id
    event_id = event.id
    await db.commit()
    chosen = {**await event_page_form(shop.browser, shop.slug), f"qty-{shop.tier_id}": "2",
              "email": "buyer@example.com"}  # fmt: skip

    step = await shop.browser.post(f"/e/{shop.slug}/checkout", data=chosen)
    assert step.status_code == 200
    assert text(step.text, "#details-continue") == "Continue to payment"
    sent = form_of(step.text, "#details-form") | {
        f"a-{shop.tier_id}-1-name": "Ana Lima",
        f"a-{shop.tier_id}-1-{company}": "Reef Co",
        f"a-{shop.tier_id}-2-{company}": "Kelp Ltd",
    }
    to_stripe = await shop.browser.post(f"/e/{shop.slug}/checkout", data=sent)

    assert to_stripe.status_code == 303, to_stripe.text
    session_id = to_stripe.headers["location"].rsplit("/", 1)[-1]
    public_id = shop.standin.get(session_id)["success_url"].split("/passes/")[1].split("?")[0]
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    kept = list(await db.scalars(select(Attendee).where(Attendee.order_id == order.id)))
    assert sorted((a.seat, a.name, a.pass_id) for a in kept) == [
        (1, "Ana Lima", None), (2, "", None),
    ]  # fmt: skip

    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()

    status, *_ = await order_state(db, public_id)
    assert status == OrderStatus.paid
    tied = (
        await db.execute(
            select(Attendee.seat, Attendee.answers, Pass.pass_key)
            .join(Pass, Pass.id == Attendee.pass_id)
            .where(Attendee.order_id == order.id)
            .order_by(Pass.change_seq)
        )
    ).all()
    assert [(seat, answers[str(company)]) for seat, answers, _ in tied] == [
        (1, "Reef Co"), (2, "Kelp Ltd"),
    ]  # fmt: skip

    # The dashboard's order page shows each ticket's name and answers.
    operator = httpx.BasicAuth(*OPERATOR)
    # Found on the orders list by the attendee's name, though the buyer gave none.
    found = await shop.browser.get("/admin/orders/", params={"q": "ana lim"}, auth=operator)
    assert values(found.text, "#orders tr[data-order]", "data-order") == [order.reference]
    page = await shop.browser.get(f"/admin/orders/{public_id}", auth=operator)
    assert page.status_code == 200, page.text
    first = pass_key_text(tied[0][2])
    holder = parse(page.text).select_one(f'#attendees [data-attendee-pass="{first}"]')
    assert holder is not None
    assert text(holder, "[data-attendee-name]") == "Ana Lima"
    assert text(holder, '[data-answer="Company"]') == "Reef Co"

    # The event's attendee CSV: one row per pass, a column per question.
    export = await shop.browser.get(f"/admin/events/{event_id}/attendees.csv", auth=operator)
    assert export.status_code == 200, export.text
    table = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(row["attendee_name"], row["Company"]) for row in table] == [
        ("Ana Lima", "Reef Co"), ("", "Kelp Ltd"),
    ]  # fmt: skip
    full = await shop.browser.get("/admin/export.zip", auth=operator)
    with zipfile.ZipFile(io.BytesIO(full.content)) as archive:
        passes_csv = archive.read("passes.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(passes_csv)))
    assert {row["pass_id"]: row["holder_name"] for row in rows}[first] == "Ana Lima"


async def test_a_100_percent_code_on_a_paid_tier_says_get_tickets_and_places_the_order_free(
    shop: Shop, db: AsyncSession
) -> None:
    event = await db.scalar(select(Event).where(Event.slug == shop.slug))
    assert event is not None
    event.attendee_names = "required"
    db.add(Code(event_id=event.id, code="CREW", kind="percent", value=100))
    await db.commit()
    chosen = {**await event_page_form(shop.browser, shop.slug), f"qty-{shop.tier_id}": "1",
              "email": "crew@example.com", "code": "CREW"}  # fmt: skip

    step = await shop.browser.post(f"/e/{shop.slug}/checkout", data=chosen)
    assert step.status_code == 200, step.text
    assert text(step.text, "#details-continue") == "Get tickets"
    sent = form_of(step.text, "#details-form") | {f"a-{shop.tier_id}-1-name": "Kai Crew"}
    placed = await shop.browser.post(f"/e/{shop.slug}/checkout", data=sent)

    assert placed.status_code == 303, placed.text
    assert placed.headers["location"].startswith("/passes/")  # no Stripe Checkout


async def test_the_door_guest_list_names_the_attendee_instead_of_the_buyer(
    client: Client, db: AsyncSession, festival: Festival
) -> None:
    event, floor, _, asked = festival
    event.attendee_names = "optional"
    await db.commit()
    chosen = {**await event_page_form(client, event.slug), f"qty-{floor.id}": "2",
              "email": "ana@example.com", "name": "Ana Lima"}  # fmt: skip
    step = await client.post(f"/e/{event.slug}/checkout", data=chosen)
    sent = form_of(step.text, "#details-form") | {
        f"a-{floor.id}-1-{asked['diet'].id}": "-", f"a-{floor.id}-2-{asked['diet'].id}": "-",
        f"a-{floor.id}-2-name": "Noe Kahale",
    }  # fmt: skip
    placed = await client.post(f"/e/{event.slug}/checkout", data=sent, follow_redirects=False)
    assert placed.status_code == 303, placed.text
    pairing = await create_pairing(db, event_id=event.id, door="Gate", may_search=True)
    await db.commit()
    paired = await client.post("/api/v1/scanner/pair", json={"code": pairing.code, "name": "Gate"})
    auth = {"authorization": f"Bearer {paired.json()['token']}"}

    guests = (await client.get("/api/v1/scanner/guests", headers=auth)).json()["guests"]

    assert sorted((g[1], g[2]) for g in guests) == [
        ("Ana Lima", "ana@example.com"), ("Noe Kahale", "ana@example.com"),
    ]  # fmt: skip


def _ask(names: str, *questions: Question) -> tuple[Asked, list[tuple[TicketTier, int]]]:
    tier = TicketTier(id=uuid.uuid4(), name="Floor", price_minor=0, capacity=10)
    return Asked(names=names, questions=questions), [(tier, 1)]


@pytest.mark.parametrize(
    ("names", "kind", "required", "name", "answer", "problem"),
    [
        ("required", "text", False, "x" * 201, "", "The name is too long: at most 200 characters."),
        ("optional", "text", False, "Ana\x00", "", "The name contains characters we cannot use."),
        ("off", "text", False, "", "y" * 501, "The answer is too long: at most 500 characters."),
        ("off", "text", False, "", "a\x1bb", "The answer contains characters we cannot use."),
        ("off", "checkbox", False, "", "on", "Tick the box or leave it empty."),
        ("off", "checkbox", True, "", "", "Tick this box to continue."),
        ("off", "choice", True, "", "", "Choose an answer."),
        ("off", "choice", False, "", "Z", "Choose one of the answers listed."),
        ("off", "text", True, "", "   ", "Answer this question."),
    ],
)
def test_a_detail_that_cannot_be_taken_says_why_beside_its_field(
    names: str, kind: str, required: bool, name: str, answer: str, problem: str
) -> None:
    question = Question(uuid.uuid4(), "Q", kind, ("A", "B"), required, None)
    ask, wanted = _ask(names, question)
    ticket = blank(ask, wanted)[0]
    data = {ticket.field_name("name"): name, ticket.field_name(question.id): answer}

    details = read(ask, wanted, data)

    assert list(details.errors.values()) == [problem]


def test_a_multi_line_answer_keeps_its_lines_and_a_name_its_single_spaces() -> None:
    question = Question(uuid.uuid4(), "Notes", "text", (), False, None)
    ask, wanted = _ask("optional", question)
    ticket = blank(ask, wanted)[0]
    data = {ticket.field_name("name"): "  Ana   Lima ", ticket.field_name(question.id): "a\r\nb"}

    details = read(ask, wanted, data)

    assert details.errors == {}
    assert (details.tickets[0].name, details.tickets[0].answers) == (
        "Ana Lima", {str(question.id): "a\r\nb"},
    )  # fmt: skip
