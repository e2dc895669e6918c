"""Buyers read POCtix in English, Spanish or German: pages by their browser's language or the
switcher, emails in the language the order was placed in, money and dates as their locale
writes them, in the event's time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import formatting
from api.db import Event, Order, TicketTier
from api.db.engine import create_engine, session_factory
from api.i18n import context
from api.i18n.negotiation import accepted, negotiate
from api.outbox.worker import run_due
from api.passes.wording import void_wording
from api.settings import Settings
from tests import factories
from tests.forms import csrf_token
from tests.mail_standin import SmtpSink
from tests.mail_standin.kit import smtp_sink_fixture, with_mail  # noqa: F401
from tests.pages import one, text, texts
from tests.test_dashboard import sign_in, two_organizers

Client = AsyncTestClient[Litestar]
DECEMBER_12_7_30_PM_HST = datetime(2026, 12, 13, 5, 30, tzinfo=UTC)
BUY = 'form[action$="/checkout"] button[type=submit]'


@pytest.fixture
async def show(db: AsyncSession) -> tuple[Event, TicketTier]:
    """A published Honolulu show on Saturday December 12, 2026 at 7:30 PM, sold in euros."""
    event = await factories.event(db, name="Noche de Jazz")
    event.starts_at = DECEMBER_12_7_30_PM_HST
    event.currency = "EUR"
    tier = await factories.tier(db, event=event, name="Floor", price_minor=150000, capacity=50)
    tier.currency = "EUR"
    free = await factories.tier(db, event=event, name="Balcony", price_minor=0, capacity=50)
    free.currency = "EUR"
    await db.commit()
    return event, free


def test_accept_language_is_read_by_weight_and_regional_tags_fall_back_to_the_language() -> None:
    assert accepted("fr;q=0.4, de-AT, es;q=0.8, *;q=0.1, en;q=0") == ["de-AT", "es", "fr"]
    assert negotiate(cookie=None, accept_language="de-AT,de;q=0.9") == "de"
    assert negotiate(cookie=None, accept_language="fr-CA, pt") is None
    assert negotiate(cookie="es", accept_language="de") == "es"
    assert negotiate(cookie="xx", accept_language="q=;;,,") is None


def test_money_and_times_are_written_per_locale_in_the_events_zone() -> None:
    zone = "Pacific/Honolulu"
    assert formatting.money(150000, "EUR", "de") == "1.500,00\xa0€"
    assert formatting.money(150000, "EUR", "es") == "1.500,00\xa0€"
    assert formatting.money(150000, "USD", "en") == "$1,500.00"
    assert formatting.when(DECEMBER_12_7_30_PM_HST, zone, "de") == (
        "Samstag, 12. Dezember 2026 · 19:30 HST"
    )
    assert formatting.when(DECEMBER_12_7_30_PM_HST, zone, "es") == (
        "sábado, 12 de diciembre de 2026 · 19:30 HST"
    )
    with context.using("en"):  # the door's English wording stays exactly so
        assert formatting.when(DECEMBER_12_7_30_PM_HST, zone) == (
            "Saturday, December 12, 2026 · 7:30 PM HST"
        )
        assert f"Already scanned {formatting.clock(DECEMBER_12_7_30_PM_HST, zone)}" == (
            "Already scanned 7:30 PM"
        )
        assert void_wording("refunded").door == "Refunded — do not admit"
    assert void_wording("refunded", "de").door == "Erstattet — kein Einlass"
    assert void_wording("refunded", "es").buyer == "Anulada — reembolsada"


async def test_a_german_browser_sees_the_event_page_in_german_with_euros_and_a_german_date(
    client: Client, show: tuple[Event, TicketTier]
) -> None:
    event, _ = show
    page = await client.get(f"/e/{event.slug}", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert page.status_code == 200
    html = BeautifulSoup(page.text, "html.parser")
    assert one(page.text, "html")["lang"] == "de"
    assert html.find("h2", string="Tickets") is not None
    assert text(page.text, "time") == "Samstag, 12. Dezember 2026 · 19:30 HST"
    assert text(page.text, '[data-tier="Floor"] [data-price]') == "1.500,00 €"  # text(): one space
    assert text(page.text, '[data-tier="Balcony"] [data-price]') == "Kostenlos"
    assert text(page.text, '[data-tier="Floor"] .badge.on') == "noch 50"
    assert text(page.text, BUY) == "Tickets holen"
    assert text(page.text, "[data-language][aria-current]") == "Deutsch"
    # The next English reader gets the English page, not the cached German one.
    english = await client.get(f"/e/{event.slug}", headers={"Accept-Language": "en-US"})
    assert text(english.text, BUY) == "Get tickets"
    assert text(english.text, '[data-tier="Floor"] [data-price]') == "€1,500.00"


async def test_the_switcher_sets_a_lax_httponly_cookie_that_beats_the_browser_language(
    client: Client, show: tuple[Event, TicketTier]
) -> None:
    event, _ = show
    page = await client.get(f"/e/{event.slug}", headers={"Accept-Language": "de"})
    link = one(page.text, '[data-language="es"]')["href"]
    assert link == f"/lang/es?next=/e/{event.slug}"
    switched = await client.get(str(link), follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == f"/e/{event.slug}"
    cookie = switched.headers["set-cookie"].lower()
    assert cookie.startswith("lang=es;")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    again = await client.get(f"/e/{event.slug}", headers={"Accept-Language": "de"})
    assert one(again.text, "html")["lang"] == "es"
    assert text(again.text, BUY) == "Conseguir entradas"
    elsewhere = await client.get("/lang/de?next=//evil.example/", follow_redirects=False)
    assert elsewhere.headers["location"] == "/"
    unknown = await client.get("/lang/fr", follow_redirects=False)
    assert unknown.status_code == 404


async def test_an_events_default_language_serves_browsers_that_ask_for_none_we_have(
    client: Client, db: AsyncSession, show: tuple[Event, TicketTier]
) -> None:
    event, _ = show
    await db.execute(update(Event).where(Event.id == event.id).values(default_language="es"))
    await db.commit()
    french = await client.get(f"/e/{event.slug}", headers={"Accept-Language": "fr-FR,fr"})
    assert one(french.text, "html")["lang"] == "es"
    assert text(french.text, "time") == "sábado, 12 de diciembre de 2026 · 19:30 HST"
    german = await client.get(f"/e/{event.slug}", headers={"Accept-Language": "de"})
    assert one(german.text, "html")["lang"] == "de"


async def _buy(client: Client, event: Event, tier: TicketTier, headers: dict[str, str]) -> str:
    page = await client.get(f"/e/{event.slug}", headers=headers)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    response = await client.post(
        f"/e/{event.slug}/checkout",
        data={**hidden, f"qty-{tier.id}": "2", "email": "lucia@example.com", "name": "Lucía"},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_an_order_placed_in_spanish_gets_its_email_in_spanish(
    client: Client,
    db: AsyncSession,
    settings: Settings,
    smtp_sink: SmtpSink,
    show: tuple[Event, TicketTier],
) -> None:
    event, free = show
    await _buy(client, event, free, {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    order = await db.scalar(select(Order).where(Order.event_id == event.id))
    assert order is not None
    assert order.language == "es"
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        sent = await run_due(session_factory(engine), with_mail(settings, smtp=smtp_sink))
    finally:
        await engine.dispose()
    assert sent == 1
    [received] = smtp_sink.messages
    message: EmailMessage = received.message
    assert message["Subject"] == "Tus entradas para Noche de Jazz"
    body = message.get_body(("plain",))
    assert body is not None
    plain = body.get_content()
    assert "¡Gracias, Lucía! Tu pedido está confirmado." in plain.splitlines()
    assert "sábado, 12 de diciembre de 2026 · 19:30 HST" in plain.splitlines()
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = BeautifulSoup(html_part.get_content(), "html.parser")
    assert html.html is not None
    assert html.html["lang"] == "es"
    assert html.find("a", string="Ver tus entradas") is not None


async def test_an_organizer_sets_the_default_language_on_the_event_form(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event = await db.scalar(select(Event).where(Event.name == "Low Tide"))
    assert event is not None
    event_id, slug = event.id, event.slug
    await sign_in(client, db, settings, "staff@reef.example")
    form = await client.get(f"/admin/events/{event_id}")
    assert texts(form.text, "select#default-language option") == ["English", "Español", "Deutsch"]
    assert text(form.text, "select#default-language option[selected]") == "English"
    fields = {
        "name": "Low Tide", "slug": slug, "venue": "Pier 3", "description": "",
        "timezone": "Pacific/Honolulu", "starts_at": "2030-06-01T19:30",
        "ends_at": "2030-06-01T23:00", "language": "de",
    }  # fmt: skip
    saved = await client.post(
        f"/admin/events/{event_id}", data={"_csrf_token": csrf_token(form.text), **fields}
    )
    assert saved.status_code == 200
    assert text(saved.text, "select#default-language option[selected]") == "Deutsch"
    db.expire_all()
    assert (await db.get_one(Event, event_id)).default_language == "de"
    refused = await client.post(
        f"/admin/events/{event_id}",
        data={"_csrf_token": csrf_token(form.text), **fields, "language": "fr"},
    )
    assert refused.status_code == 400
    assert "Pick the default language from the list" in text(refused.text, "#errors")


async def test_an_order_from_a_browser_asking_for_no_language_we_have_takes_the_events(
    client: Client, db: AsyncSession, show: tuple[Event, TicketTier]
) -> None:
    event, free = show
    await db.execute(update(Event).where(Event.id == event.id).values(default_language="de"))
    await db.commit()
    await _buy(client, event, free, {"Accept-Language": "fr-FR,fr;q=0.9"})
    order = await db.scalar(select(Order).where(Order.event_id == event.id))
    assert order is not None
    assert order.language == "de"
