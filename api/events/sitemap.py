"""Where search engines start: `/robots.txt` and `/sitemap.xml` (served by
api/events/controllers.py).

The sitemap lists every published event that is not over yet (cancelled ones too: their page
says "cancelled" in its JSON-LD, and search engines ask that a cancelled event's page stay up
with that status rather than disappear) and the organizer pages that list them. Drafts and past
events are not in it. URLs are absolute, from BASE_URL (https://www.sitemaps.org/protocol.html).

robots.txt keeps crawlers out of what is private by address (orders' passes pages, waiting-list
offers, accounts, the dashboard, the API) and names the sitemap. Event and organizer pages stay
open: a crawler must read an event page to see its `noindex` (a page with a code has one).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Organizer, utcnow

MAX_URLS = 50_000
"""The protocol's limit per sitemap file; a site with more upcoming events needs an index."""

PRIVATE = ("/admin", "/api/", "/passes/", "/waiting/offer/", "/account", "/login", "/lang/",
           "/scan", "/wallet", "/schema", "/e/*/embed")  # fmt: skip
"""Paths crawlers are asked to stay out of: someone's order or account, staff pages, the API,
and the widget partner sites frame (the event's own page is the one to list; `*` as RFC 9309)."""


def robots_txt(base_url: str) -> str:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE)]
    lines.append(f"Sitemap: {base_url.rstrip('/')}/sitemap.xml")
    return "\n".join(lines) + "\n"


def sitemap_xml(urls: list[str]) -> str:
    entries = "".join(f"<url><loc>{escape(url)}</loc></url>\n" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    )


async def listed_urls(db: AsyncSession, *, base_url: str) -> list[str]:
    """Each published event not over yet (soonest first), then each organizer page with one."""
    rows = await db.execute(
        select(Event.slug, Organizer.slug)
        .join(Organizer, Organizer.id == Event.organizer_id)
        .where(Event.published, Event.ends_at > utcnow())
        .order_by(Event.starts_at, Event.slug)
        .limit(MAX_URLS)
    )
    base = base_url.rstrip("/")
    events, organizers = [], dict[str, None]()
    for event_slug, organizer_slug in rows:
        events.append(f"{base}/e/{event_slug}")
        organizers[organizer_slug] = None
    pages = [f"{base}/o/{slug}" for slug in organizers]
    return (events + pages)[:MAX_URLS]
