"""A partner's page on another origin frames the ticket box, and a buyer buys from it.

The partner page is served by a tiny http.server on `localhost` while POCtix is `127.0.0.1`:
another host, so another site, and the frame is a third-party one (its `SameSite=Lax` cookies
are neither kept nor sent). The purchase opens a tab of its own: a free order's passes there, a
paid one's Stripe Checkout (the stand-in), which refuses to be framed anyway.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.async_api import BrowserContext, FrameLocator, Page, expect

from api.partners import services
from api.partners.pages import snippet
from e2e import door, selling
from e2e.conftest import LiveApp
from tests.stripe_standin.standin import StripeStandin


@contextlib.contextmanager
def partner_site() -> Iterator[tuple[str, dict[str, str]]]:
    """Aloha Calendar's page with the snippet pasted in (`snippet["iframe"]`, set once the
    site is registered): yields its origin and that holder."""
    snippet: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (
                "<!doctype html><html><head><title>Aloha Calendar</title></head><body>"
                f"<h1>This week on the island</h1>{snippet['iframe']}</body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}", snippet
    finally:
        server.shutdown()
        server.server_close()


async def register(app: LiveApp, origin: str) -> str:
    """Aloha Calendar as the demo organizer's partner; the snippet for the demo event, as the
    dashboard shows it."""
    async with door.session_for(app) as session:
        event = await door.demo_event(session)
        partner = await services.add_partner(
            session, organizer_id=event.organizer_id, name="Aloha Calendar", origin=origin,
            actor="owner@example.com",
        )  # fmt: skip
        return snippet(app.url, slug=event.slug, partner_id=partner.id, title=event.name)


async def ticket_box(
    app: LiveApp, context: BrowserContext, origin: str
) -> tuple[Page, FrameLocator]:
    page = await context.new_page()
    await page.goto(origin)
    await expect(page.get_by_role("heading", name="This week on the island")).to_be_visible()
    box = page.frame_locator("iframe")
    await expect(box.locator("#embed-form")).to_be_visible()
    return page, box


async def test_a_buyer_gets_free_tickets_from_a_partner_page_on_another_site(
    live_app: LiveApp, context: BrowserContext
) -> None:
    with partner_site() as (origin, pasted):
        pasted["iframe"] = await register(live_app, origin)
        page, box = await ticket_box(live_app, context, origin)
        async with context.expect_page() as opened:
            await selling.order(box, tier="General admission", quantity=2, email="kai@example.com")
        tab = await opened.value
        await tab.wait_for_url(f"{live_app.url}/passes/**")
        await expect(tab.locator("#order-status")).to_have_attribute("data-status", "paid")
        await expect(tab.locator(".qr")).to_have_count(2)
        await expect(tab.get_by_text("Purchased on Aloha Calendar")).to_be_visible()
        assert page.url.startswith(origin)  # the partner's page stays where it was
        # embed.js fitted the frame to the ticket box: no scrollbar inside the partner's page
        await page.wait_for_function("document.querySelector('iframe').style.height !== ''")
        framed = page.frame_locator("iframe").locator("body")
        inner = await framed.evaluate("body => Math.ceil(body.getBoundingClientRect().height)")
        outer = await page.locator("iframe").evaluate("frame => frame.clientHeight")
        assert outer == inner > 640


async def test_a_paid_ticket_from_a_partner_page_is_paid_in_stripe_checkout_in_a_new_tab(
    paid_app: LiveApp, standin: StripeStandin, context: BrowserContext
) -> None:
    await selling.take_payments(paid_app, standin)
    with partner_site() as (origin, pasted):
        pasted["iframe"] = await register(paid_app, origin)
        _, box = await ticket_box(paid_app, context, origin)
        async with context.expect_page() as opened:
            await selling.order(box, tier="VIP deck", quantity=1, email="lani@example.com")
        tab = await opened.value
        await selling.pay(tab, paid_app, standin)
        await expect(tab.get_by_text("Purchased on Aloha Calendar")).to_be_visible()
