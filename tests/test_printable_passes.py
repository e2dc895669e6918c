"""Passes on paper: the passes page prints one pass per page, and the order's PDF has one page per
pass with its QR (the same code the page shows), the event, the tier and the holder."""

from __future__ import annotations

import io

import pypdf
import zxingcpp
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, PassStatus
from api.events.services import published_event
from api.mail import content
from api.passes import services as passes
from api.settings import Settings
from tests import pages
from tests.mail_standin.kit import free_event, free_order

Client = AsyncTestClient[Litestar]


def _qr_in(page: pypdf.PageObject) -> str | None:
    """What a phone reads from the page's picture, or None when the page has none."""
    if not page.images:
        return None
    [picture] = page.images
    found = zxingcpp.read_barcodes(picture.image)
    assert len(found) == 1
    return str(found[0].text)


async def test_the_pdf_has_one_page_per_pass_with_the_code_the_passes_page_shows(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    slug, tier = await free_event(db, name="Full Moon Café")
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=3, name="Kai Ōno")
    page = await client.get(f"/passes/{order.public_id}")
    link = pages.one(page.text, "#pass-links a[data-pdf]")
    assert link["href"] == f"/passes/{order.public_id}/passes.pdf"
    tokens = pages.values(page.text, "#passes .qr[data-token]", "data-token")
    assert len(tokens) == 3

    answer = await client.get(str(link["href"]))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    document = pypdf.PdfReader(io.BytesIO(answer.content))
    assert len(document.pages) == 3
    for number, (sheet, token) in enumerate(zip(document.pages, tokens, strict=True), start=1):
        words = " ".join(sheet.extract_text().split())
        assert "Full Moon Café" in words
        assert "Pier 3" in words
        assert f"General · pass {number} of 3" in words
        assert "Kai Ōno" in words
        assert f"Order reference {order.reference}" in words
        assert _qr_in(sheet) == token


async def test_a_void_pass_is_printed_as_void_with_no_code(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    slug, tier = await free_event(db)
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=2)
    _, second = await passes.order_passes(db, order_id=order.id)
    await passes.set_status(db, passes=[second], status=PassStatus.void, reason="refunded")
    await db.commit()
    page = await client.get(f"/passes/{order.public_id}")
    [token] = pages.values(page.text, "#passes .qr[data-token]", "data-token")
    assert pages.text(page.text, '#passes [data-valid="false"] .print-void') == "VOID"

    answer = await client.get(f"/passes/{order.public_id}/passes.pdf")
    document = pypdf.PdfReader(io.BytesIO(answer.content))
    assert len(document.pages) == 2
    valid, void = document.pages
    assert _qr_in(valid) == token
    assert _qr_in(void) is None
    words = " ".join(void.extract_text().split())
    assert "VOID" in words
    assert "Void — refunded. Do not use." in words


async def test_each_printed_pass_carries_the_event_and_nothing_to_click_is_printed(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    slug, tier = await free_event(db, name="Low Tide")
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=2, name="Ana")
    page = pages.parse((await client.get(f"/passes/{order.public_id}")).text)
    styles = " ".join(tag.get_text() for tag in page.select("head style"))
    assert "@media print" in styles
    assert "break-after:page" in styles
    facts = page.select("#passes > li.pass > .print-facts")
    assert [pages.text(block, ".print-event") for block in facts] == ["Low Tide", "Low Tide"]
    assert [pages.shown(block.select("p")[3]) for block in facts] == [
        "General · pass 1 of 2 · Ana",
        "General · pass 2 of 2 · Ana",
    ]


async def test_the_ticket_email_links_the_pdf(db: AsyncSession, settings: Settings) -> None:
    slug, tier = await free_event(db)
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=1)
    draft = await content.tickets(db, order_id=order.id, settings=settings)
    pdf_url = f"http://testserver.local/passes/{order.public_id}/passes.pdf"
    assert pages.values(draft.html, 'a[data-link="pdf"]', "href") == [pdf_url]
    assert pdf_url in draft.text


async def test_no_pdf_for_a_link_that_names_no_order_or_an_order_with_no_passes(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    assert (await client.get("/passes/not-an-order/passes.pdf")).status_code == 404
    assert (await client.get(f"/passes/{'a' * 22}/passes.pdf")).status_code == 404
    slug, _ = await free_event(db)
    event = await published_event(db, slug=slug)
    assert event is not None
    db.add(Order(public_id="p" * 22, event_id=event.id, buyer_email="b@example.com"))
    await db.commit()
    unpaid = await client.get(f"/passes/{'p' * 22}/passes.pdf")
    assert unpaid.status_code == 404
