"""How an event page looks when its link is shared or found: Open Graph and Twitter card tags
for link previews (chat apps, social sites) and `schema.org/Event` JSON-LD for search engines.

Everything here is read from the event page's snapshot (api/events/cache.py) and rendered with
the page, so it is part of the page `RenderedPages` keeps: no request adds a query for it, and a
cached page is served with its tags. The offers' availability follows the tiers' verdicts, which
are part of that cache's key, so a tier that sells out is "SoldOut" on the next render.

What is left out on purpose:
- hidden tiers (sold with an access code) are never offers, even on a page a code unlocked;
- a page with a code (`?code=`), right or wrong, is `noindex`: its prices belong to one buyer;
- an event that is not published is `noindex` (the public page serves only published events; a
  draft's address is a 404 that says `X-Robots-Tag: noindex` too);
- a cancelled event keeps its page with `eventStatus` EventCancelled and no offers, the way
  search engines ask cancelled events to be marked (rather than the page disappearing);
- tiers whose sales have ended are no longer offers.

JSON inside `<script type="application/ld+json">` is not HTML-escaped by the browser, so
`script_json` writes `<`, `>` and `&` as `\\u003c`, `\\u003e`, `\\u0026` (still the same JSON
strings): an event named `</script><script>…` stays a string inside the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from markupsafe import Markup

from api import currencies
from api.db import Event, Organizer, TicketTier
from api.events import services
from api.formatting import local, when

SCHEMA = "https://schema.org/"
NOINDEX = {"X-Robots-Tag": "noindex"}
"""On the answer for an address with no published event (a draft's, or none)."""
DESCRIPTION_MAX = 200
"""Characters of the event's description in `description`/`og:description` (previews show
about this much; the JSON-LD carries the whole description)."""

_AVAILABILITY = {
    services.TierState.on_sale: "InStock",
    services.TierState.not_yet: "InStock",  # with `validFrom` in the future: when sales open
    services.TierState.sold_out: "SoldOut",
    services.TierState.held: "SoldOut",  # none can be bought now; some may come back
}
"""A tier's verdict as schema.org's ItemAvailability; `ended` is not offered at all."""

_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                  "\u2029": "\\u2029"}  # fmt: skip


def script_json(data: Any) -> Markup:
    """`data` as JSON that can sit inside a `<script>` element: the characters that could end
    the element or start markup are written as JSON escapes (they occur only inside strings)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _SCRIPT_UNSAFE.items():
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704  (escaped just above for a script element)


def excerpt(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """The first `limit` characters of `text` on one line, cut at a word with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0] if " " in flat[: limit - 1] else flat[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


def _iso(moment: datetime, zone: str) -> str:
    """`2026-12-12T19:30:00-10:00`: the time as the event's zone reads it, with its offset."""
    return local(moment, zone).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Share:
    """The sharing tags of one event page. Built for every request (cheap: no work is done until
    the template reads a property, which happens only when the page is rendered, not when a
    rendered page is served again)."""

    event: Event
    tiers: Sequence[tuple[TicketTier, services.TierState]]
    """The tiers the page shows with their verdicts; hidden ones are dropped here."""
    base_url: str
    noindex: bool

    @classmethod
    def of(
        cls,
        event: Event,
        tiers: Sequence[tuple[TicketTier, services.TierState]],
        *,
        base_url: str,
        personal: bool,
    ) -> Share:
        """`personal`: the page shows a buyer's code (or its refusal), not the public page."""
        return cls(event, tiers, base_url.rstrip("/"), not event.published or personal)

    @property
    def url(self) -> str:
        """The page's one address (canonical: `?via=` and `?code=` variants point to it)."""
        return f"{self.base_url}/e/{self.event.slug}"

    @property
    def image(self) -> str | None:
        """The event's own image: a large preview card, and the JSON-LD's `image`."""
        path = self.event.image_path
        return f"{self.base_url}/media/{path}" if path else None

    @property
    def logo(self) -> str | None:
        """The organizer's logo: the small card's picture when the event has no image of its
        own (a venue's logo is recognized where a bare link is not); never the JSON-LD's."""
        path = self.event.organizer.logo_path
        return f"{self.base_url}/media/{path}" if path else None

    @property
    def site_name(self) -> str:
        """The organizer's name: buyers know the venue or promoter, not the platform."""
        return self.event.organizer.name

    @cached_property
    def description(self) -> str:
        """For previews: the date and venue first (what a reader of a shared link wants), then
        the start of the event's description."""
        event = self.event
        parts = [when(event.starts_at, event.timezone)]
        if event.venue.strip():
            parts.append(" ".join(event.venue.split()))
        head = " · ".join(parts)
        about = excerpt(event.description, DESCRIPTION_MAX - len(head) - 2)
        return f"{head}. {about}" if about else head

    @property
    def json_ld(self) -> Markup:
        return script_json(self.structured())

    def structured(self) -> dict[str, Any]:
        """The `schema.org/Event` object (https://schema.org/Event; the fields search engines
        read for event listings)."""
        event = self.event
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "Event",
            "name": event.name,
            "url": self.url,
            "startDate": _iso(event.starts_at, event.timezone),
            "endDate": _iso(event.ends_at, event.timezone),
            "eventStatus": SCHEMA + ("EventCancelled" if event.cancelled_at else "EventScheduled"),
            "eventAttendanceMode": SCHEMA + "OfflineEventAttendanceMode",
        }
        venue = " ".join(event.venue.split())
        if venue:
            data["location"] = {"@type": "Place", "name": venue, "address": venue}
        if self.image:
            data["image"] = [self.image]
        if event.description.strip():
            data["description"] = event.description.strip()
        organizer = event.organizer
        data["organizer"] = {
            "@type": "Organization",
            "name": organizer.name,
            "url": f"{self.base_url}/o/{organizer.slug}",
        }
        if organizer.logo_path:
            data["organizer"]["logo"] = f"{self.base_url}/media/{organizer.logo_path}"
        offers = [] if event.cancelled_at else self.offers()
        if offers:
            data["offers"] = offers
        return data

    def offers(self) -> list[dict[str, Any]]:
        """One Offer per public tier still selling or sold out: its list price (no code's) as a
        decimal string in the event's currency."""
        event = self.event
        found = []
        for tier, state in self.tiers:
            availability = _AVAILABILITY.get(state)
            if tier.hidden or availability is None:
                continue
            found.append(
                {
                    "@type": "Offer",
                    "name": tier.name,
                    "url": self.url,
                    "price": currencies.plain(tier.price_minor, tier.currency),
                    "priceCurrency": tier.currency,
                    "availability": SCHEMA + availability,
                    "validFrom": _iso(tier.sales_start or tier.created_at, event.timezone),
                    "validThrough": _iso(services.sales_end(tier, event), event.timezone),
                }
            )
        return found


@dataclass(frozen=True)
class OrganizerShare:
    """The sharing tags of an organizer's page (`/o/{slug}`): its name, logo and what is on."""

    organizer: Organizer
    events: Sequence[Event]
    base_url: str

    @property
    def url(self) -> str:
        return f"{self.base_url.rstrip('/')}/o/{self.organizer.slug}"

    @property
    def image(self) -> str | None:
        path = self.organizer.logo_path
        return f"{self.base_url.rstrip('/')}/media/{path}" if path else None

    @property
    def description(self) -> str:
        """The next events' names, soonest first (the page lists them)."""
        return excerpt(" · ".join(event.name for event in self.events[:5]))
