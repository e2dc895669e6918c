"""Languages in the emails that are not an order's: the sign-in link (the language of the page
that asked for it), the waiting list's two emails (the language the buyer joined in) and the
wording around an organizer's message to ticket holders (the order's language; their own text
stays as written). Each read as the recipient would: the outbox row rendered now."""

from __future__ import annotations

import secrets
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Broadcast, OutboxMessage, WaitingEntry, WaitingStatus, utcnow
from api.mail.outbox import preview
from api.settings import Settings
from api.waiting import offers
from tests import factories
from tests.forms import csrf_token

Client = AsyncTestClient[Litestar]
TIMES = "\N{MULTIPLICATION SIGN}"
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


async def _rendered(db: AsyncSession, settings: Settings, kind: str) -> list[str]:
    db.expire_all()
    rows = await db.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.created_at)
    )
    return [await preview(db, row=row, settings=settings) for row in rows]


async def _ask_for_link(client: Client, headers: dict[str, str]) -> None:
    form = await client.get("/login", headers=headers)
    response = await client.post(
        "/login",
        data={"_csrf_token": csrf_token(form.text), "email": "lena@example.com"},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 303


async def test_the_sign_in_link_is_written_in_the_language_of_the_page_that_asked_for_it(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await _ask_for_link(client, GERMAN)
    [german] = await _rendered(db, settings, "login_link")
    lines = german.splitlines()
    assert "Subject: Dein Anmeldelink" in lines
    assert "Melde dich an, um deine Tickets zu finden" in lines
    assert any(line.startswith("Öffne diesen Link innerhalb von 15 Minuten") for line in lines)

    await _ask_for_link(client, {"Accept-Language": "en-US"})
    english = (await _rendered(db, settings, "login_link"))[1].splitlines()
    assert "Subject: Your sign-in link" in english
    assert "Sign in to find your tickets" in english


async def test_the_waiting_list_emails_are_written_in_the_language_the_buyer_joined_in(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, name="Jazznacht")
    tier = await factories.tier(db, event=event, name="Parkett", capacity=2)
    tier.sold = 2
    await db.commit()
    url = f"/e/{event.slug}/waiting/{tier.id}"
    form = await client.get(url, headers=GERMAN)
    assert form.status_code == 200
    joined = await client.post(
        url,
        data={
            "_csrf_token": csrf_token(form.text),
            "email": "jonas@example.com",
            "name": "Jonas",
            "quantity": "2",
        },
        headers=GERMAN,
    )
    assert joined.status_code in (200, 303), joined.text
    entry = await db.scalar(select(WaitingEntry).where(WaitingEntry.email == "jonas@example.com"))
    assert entry is not None
    assert entry.language == "de"
    [welcome] = await _rendered(db, settings, offers.JOINED_KIND)
    lines = welcome.splitlines()
    assert "Subject: Du stehst auf der Warteliste für Jazznacht" in lines
    assert f"2 {TIMES} Parkett, für jonas@example.com." in lines
    assert "Du musst jetzt nichts tun." in lines

    # Seats come back (set here as the offer code would): the offer is German too.
    entry.status = WaitingStatus.offered
    entry.offer_token = secrets.token_urlsafe(32)
    entry.offered_at = utcnow()
    entry.offer_expires_at = utcnow() + timedelta(hours=24)
    db.add(OutboxMessage(kind=offers.OFFER_KIND, payload={"entry_id": str(entry.id)},
                         available_at=utcnow()))  # fmt: skip
    await db.commit()
    [offer] = await _rendered(db, settings, offers.OFFER_KIND)
    lines = offer.splitlines()
    assert "Subject: Tickets für dich: Jazznacht" in lines
    assert any(
        line.startswith(f"2 {TIMES} Parkett sind wieder frei und für dich reserviert bis ")
        for line in lines
    )
    assert "Hier holen:" in lines
    assert "Danach gehen sie an die nächste Person auf der Warteliste." in lines


async def test_a_message_to_holders_keeps_the_organizers_words_in_the_orders_language_chrome(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, name="Jazznacht")
    tier = await factories.tier(db, event=event, name="Parkett")
    order = await factories.paid_order(db, event=event, tier=tier)
    order.language = "de"
    message = Broadcast(event_id=event.id, subject="Einlass ab 19 Uhr",
                        body="Doors at 7, bring a coat.", actor="owner@example.com",
                        recipients=1)  # fmt: skip
    db.add(message)
    await db.flush()
    db.add(OutboxMessage(kind="holder_message", available_at=utcnow(), payload={
        "broadcast_id": str(message.id), "order_id": str(order.id),
        "email": "buyer@example.com"}))  # fmt: skip
    await db.commit()
    [rendered] = await _rendered(db, settings, "holder_message")
    lines = rendered.splitlines()
    assert "Subject: Einlass ab 19 Uhr" in lines
    assert "Doors at 7, bring a coat." in lines  # the organizer's text, as written
    assert any(line.startswith("Du hast Tickets für Jazznacht: http") for line in lines)
    assert any(line.startswith("Fragen zu dieser Veranstaltung?") for line in lines)
