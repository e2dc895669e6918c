"""Languages on the passes page's self-service part (transfer, rename, cancel) and on paper (the
print view and the PDF): a German browser reads them in German; English stays as it was."""

from __future__ import annotations

import io

import pypdf
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, PassStatus, SelfServicePolicy
from api.passes import services as passes
from api.settings import Settings
from tests import pages
from tests.mail_standin.kit import free_event, free_order

Client = AsyncTestClient[Litestar]
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


async def test_a_german_browser_reads_transfer_rename_and_cancel_in_german(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    slug, tier = await free_event(db, name="Jazznacht")
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=2, name="Jonas")
    event = await db.scalar(select(Event).where(Event.slug == slug))
    assert event is not None
    db.add(SelfServicePolicy(event_id=event.id, transfers=True, cancellation=True))
    await db.commit()

    german = (await client.get(f"/passes/{order.public_id}", headers=GERMAN)).text
    assert (
        pages.texts(german, "[data-transfer] summary")
        == ["Dieses Ticket übertragen oder verschenken"] * 2
    )
    assert pages.texts(german, "[data-rename] button") == ["Namen speichern"] * 2
    assert pages.text(german, "#cancel-tickets h2") == "Meine Tickets stornieren"
    assert pages.text(german, "#cancel-tickets legend") == "Zu stornierende Tickets"
    assert pages.text(german, "#cancel-tickets-button") == "Meine Tickets stornieren"

    english = await client.get(f"/passes/{order.public_id}", headers={"Accept-Language": "en"})
    assert pages.text(english.text, "#cancel-tickets h2") == "Cancel my tickets"
    assert pages.texts(english.text, "[data-transfer] summary")[0] == (
        "Transfer or give this ticket to someone"
    )


async def test_a_german_browser_prints_and_downloads_its_passes_in_german(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    slug, tier = await free_event(db, name="Jazznacht")
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=2, name="Jonas")
    _, second = await passes.order_passes(db, order_id=order.id)
    await passes.set_status(db, passes=[second], status=PassStatus.void, reason="refunded")
    await db.commit()

    page = pages.parse((await client.get(f"/passes/{order.public_id}", headers=GERMAN)).text)
    facts = page.select("#passes > li.pass > .print-facts")
    assert pages.shown(facts[0].select("p")[3]) == "General · Ticket 1 von 2 · Jonas"
    assert pages.shown(facts[0].select("p")[4]).endswith(f"Bestellnummer {order.reference}")
    assert pages.text(page, '#passes [data-valid="false"] .print-void') == "UNGÜLTIG"

    answer = await client.get(f"/passes/{order.public_id}/passes.pdf", headers=GERMAN)
    document = pypdf.PdfReader(io.BytesIO(answer.content))
    valid, void = (" ".join(sheet.extract_text().split()) for sheet in document.pages)
    assert "General · Ticket 1 von 2" in valid
    assert f"Bestellnummer {order.reference}" in valid
    assert "Zeig diese Seite (oder den Code auf deinem Handy) am Einlass." in valid
    assert "UNGÜLTIG" in void
    assert "Nicht verwenden." in void
