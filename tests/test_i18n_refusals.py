"""Refusals a buyer reads (the checkout's, a code's), raised in English and shown in the
request's language: the English wording stays exactly as it was; a German browser reads German
with the same parameters (the tier's name, the code)."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.i18n import refusals, using
from tests import factories
from tests.pages import text

Client = AsyncTestClient[Litestar]
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


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
