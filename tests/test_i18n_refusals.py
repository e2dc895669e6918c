"""Refusals a buyer reads (the checkout's, a code's), raised in English and shown in the
request's language: the English wording stays exactly as it was; a German browser reads German
with the same parameters (the tier's name, the code)."""

from __future__ import annotations

import ast
import re
import uuid
from datetime import timedelta
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.services import create_pairing
from api.checkout import placement
from api.checkout import services as checkout_services
from api.db.base import utcnow
from api.i18n import refusals, using
from tests import factories
from tests.pages import text

Client = AsyncTestClient[Litestar]
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
ROOT = Path(__file__).resolve().parents[1]


async def _refused(
    client: Client, slug: str, fields: dict[str, str], headers: dict[str, str]
) -> str:
    page = await client.get(f"/e/{slug}", headers=headers)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    response = await client.post(
        f"/e/{slug}/checkout",
        data={**hidden, "email": "jonas@example.com", "name": "Jonas", **fields},
        headers=headers,
        follow_redirects=False,
    )
    assert 400 <= response.status_code < 500, response.status_code
    return text(response.text, "#form-error")


async def test_checkout_refusals_read_in_the_buyers_language(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db, name="Jazznacht")
    tier = await factories.tier(db, event=event, name="Parkett", capacity=1)
    await db.commit()
    nothing = {f"qty-{tier.id}": "0"}
    bad_code = {f"qty-{tier.id}": "1", "code": "NOPE"}
    assert await _refused(client, event.slug, nothing, GERMAN) == "Wähle mindestens ein Ticket."
    assert await _refused(client, event.slug, nothing, {}) == "Choose at least one ticket."
    assert (
        await _refused(client, event.slug, bad_code, GERMAN)
        == "„NOPE“ ist kein gültiger Code für diese Veranstaltung."
    )


def test_each_refusal_is_matched_with_its_parameters_and_other_words_pass_through() -> None:
    with using("de"):
        assert (
            refusals.translate("Sold out: not enough Parkett tickets left.")
            == "Ausverkauft: Von Parkett sind nicht mehr genug Tickets übrig."
        )
        assert refusals.translate("Sales have ended for VIP: Loge.") == (
            "Der Verkauf für VIP: Loge ist beendet."
        )
        assert refusals.translate("An organizer's own words.") == "An organizer's own words."
        assert refusals.translate("Pass ABC-123 is void: it cannot be changed.") == (
            "Ticket ABC-123 ist ungültig: Es kann nicht geändert werden."
        )
    with using("es"):
        assert refusals.translate("The code SUMMER has expired.") == "El código SUMMER ha caducado."
    with using("en"):
        assert refusals.translate("Choose at least one ticket.") == "Choose at least one ticket."


async def test_an_error_page_reads_in_the_buyers_language(client: Client) -> None:
    german = await client.get("/e/no-such-show", headers=GERMAN)
    assert german.status_code == 404
    assert text(german.text, "h1") == "Seite nicht gefunden"
    english = await client.get("/e/no-such-show", headers={"Accept-Language": "en"})
    assert text(english.text, "h1") == "Page not found"


SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
REFUSED_IN = (
    "api/checkout/services.py",
    "api/checkout/codes.py",
    "api/checkout/self_service.py",
    "api/checkout/self_cancel.py",
    "api/checkout/self_service_pages.py",
    "api/checkout/pages.py",
    "api/passes/transfer.py",
    "api/waiting/services.py",
    "api/waiting/pages.py",
)
"""Where refusals a buyer reads are raised (staff-facing ones, comps.py, offers.py, are not)."""
BUYER_ERRORS = {
    "CheckoutError", "TierSoldOut", "WaitingError", "Refused", "Invalid", "NotFound",
    "CodeRefused", "NotFoundException",
}  # fmt: skip


def _sample(node: ast.expr) -> str | None:
    """A refusal's English as raised, its f-string parts filled with a stand-in ("Parkett"),
    or None when the message is not written there (`str(exc)`, a variable)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BoolOp):  # `reason or "Card payments are not configured…"`
        return next((s for s in map(_sample, node.values) if s is not None), None)
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            parts.append(str(part.value))
        elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.IfExp):
            parts.append(_sample(part.value.body) or "")  # `ticket{'s' if n != 1 else ''}`
        else:
            parts.append("Parkett")
    return "".join(parts)


def _raised_refusals() -> list[tuple[str, str]]:
    found = []
    for path in REFUSED_IN:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in BUYER_ERRORS:
                continue
            arguments = [*node.args, *(k.value for k in node.keywords if k.arg == "detail")]
            if node.func.id == "CodeRefused":
                arguments = arguments[1:]  # (reason code, message)
            for argument in arguments[:1]:
                if (sample := _sample(argument)) is not None:
                    found.append((path, sample))
    return found


def test_every_refusal_a_buyer_can_be_given_is_in_spanish_and_german() -> None:
    """A refusal raised in English that the table does not know reaches a Spanish buyer in
    English: each one written where checkout, codes, self-service, transfers and the waiting
    list raise them has its translation."""
    raised = _raised_refusals()
    assert len(raised) > 40
    for language in ("es", "de"):
        with using(language):
            untranslated = [(p, s) for p, s in raised if refusals.translate(s) == s]
        assert untranslated == [], language


def test_the_hold_cap_the_deadlines_and_an_order_s_status_read_in_spanish() -> None:
    over_cap = placement.OverHoldCap("ip:203.0.113.9", 10)
    by_email = placement.OverHoldCap("email:ana@example.com", 10)
    with using("es"):
        assert refusals.translate(
            checkout_services._over_cap_message(over_cap, email="ana@example.com")
        ) == (
            "Demasiadas entradas de tu conexión esperan el pago: como máximo 10 a la vez. Termina"
            " o cancela el pago que empezaste (uno sin pagar se libera a los 30 minutos) y vuelve"
            " a intentarlo."
        )
        assert refusals.translate(
            checkout_services._over_cap_message(by_email, email="ana@example.com")
        ).startswith("Demasiadas entradas de ana@example.com esperan el pago")
        assert refusals.translate("The deadline for ticket transfers has passed.") == (
            "Ha pasado el plazo para transferencias de entradas."
        )
        assert refusals.translate("An order that is partially refunded cannot be changed.") == (
            "Un pedido reembolsado en parte no se puede cambiar."
        )
        assert refusals.translate("Jazznacht does not allow cancellations.") == (
            "Jazznacht no permite cancelaciones."
        )
    with using("de"):
        assert refusals.translate("The deadline for name changes has passed.") == (
            "Die Frist für Namensänderungen ist abgelaufen."
        )
    with using("en"):
        english = checkout_services._over_cap_message(over_cap, email="ana@example.com")
        assert refusals.translate(english) == english


async def test_a_spanish_buyer_reads_the_end_of_sales_in_spanish(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db, name="Noche de jazz")
    tier = await factories.tier(db, event=event, name="Platea", capacity=5)
    tier.sales_end = utcnow() - timedelta(hours=1)
    await db.commit()
    wanted = {f"qty-{tier.id}": "1"}
    assert await _refused(client, event.slug, wanted, SPANISH) == (
        "La venta de Platea ha terminado."
    )
    missing = await client.get(f"/e/{event.slug}/waiting/{uuid.uuid4()}", headers=SPANISH)
    assert missing.status_code == 404
    assert text(missing.text, "[data-error-message]") == (
        "Este evento no tiene ese tipo de entrada."
    )


async def test_a_spanish_door_phone_reads_its_pairing_refusals_in_spanish(
    client: Client, db: AsyncSession
) -> None:
    """Door staff read the door API's refusals on the scanner: in the phone's language. The
    rest of /api/ (the organizer's programs, the operator's) stays English."""
    event = await factories.event(db, name="Feria")
    pairing = await create_pairing(db, event_id=event.id, door="Puerta")
    await db.commit()
    unknown = await client.post(
        "/api/v1/scanner/pair", json={"code": "x" * 43, "name": "A"}, headers=SPANISH
    )
    assert unknown.status_code == 403
    assert unknown.json()["detail"] == (
        "Este enlace de emparejamiento no existe. Pide uno nuevo al organizador."
    )
    first = await client.post(
        "/api/v1/scanner/pair", json={"code": pairing.code, "name": "A"}, headers=SPANISH
    )
    assert first.status_code == 201, first.text
    again = await client.post(
        "/api/v1/scanner/pair", json={"code": pairing.code, "name": "B"}, headers=SPANISH
    )
    assert again.json()["detail"].startswith("Este enlace de emparejamiento era para un solo")
    english = await client.post(
        "/api/v1/scanner/pair", json={"code": pairing.code, "name": "C"},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    assert english.json()["detail"].startswith("This pairing link was for one phone")
    unpaired = await client.get("/api/v1/scanner/guests", headers=SPANISH)
    assert unpaired.status_code == 401
    assert unpaired.json()["detail"].startswith("Este dispositivo no está emparejado")
    organizer_api = await client.get("/api/v1/events", headers=SPANISH)
    assert organizer_api.status_code == 401
    assert "API key" in organizer_api.json()["detail"]  # English for programs
