"""An event as an iCalendar file (RFC 5545), for "Add to calendar".

One VEVENT with its times in the event's own zone (`DTSTART;TZID=Europe/Lisbon:…` and the
VTIMEZONE that defines it, so a calendar in another zone shows the right moment and one in the
same zone shows the organizer's wall-clock time), the venue as LOCATION, the event page as URL.
Its UID is the event's id at this site's host: the same event downloaded again (from the event
page, then from the ticket email) updates the calendar entry rather than adding a second one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from api.db import Event, utcnow

PRODID = "-//POCtix//Event calendar//EN"


def event_url(base_url: str, event: Event) -> str:
    return f"{base_url.rstrip('/')}/e/{event.slug}"


def calendar_url(base_url: str, event: Event) -> str:
    """Where `event_ics` is served (`/e/{slug}/event.ics`)."""
    return f"{event_url(base_url, event)}/event.ics"


def event_uid(base_url: str, event: Event) -> str:
    host = urlsplit(base_url).hostname or "poctix"
    return f"event-{event.id}@{host}"


def event_ics(event: Event, *, base_url: str, now: datetime | None = None) -> bytes:
    """The calendar file of `event` (UTF-8, CRLF line ends, folded lines)."""
    zone = ZoneInfo(event.timezone)
    url = event_url(base_url, event)
    item = CalendarEvent()
    item.add("uid", event_uid(base_url, event))
    item.add("dtstamp", now or utcnow())
    item.add("dtstart", event.starts_at.astimezone(zone))
    item.add("dtend", event.ends_at.astimezone(zone))
    item.add("summary", event.name)
    if event.venue:
        item.add("location", event.venue)
    item.add("url", url)
    description = f"{event.description}\n\n{url}" if event.description else url
    item.add("description", description)
    # A cancelled event (api/events/cancellation.py) stays in calendars as cancelled.
    cancelled = getattr(event, "cancelled_at", None) is not None
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(item)
    # The zone's rules around the event only (the default span ends in 2038).
    calendar.add_missing_timezones(
        first_date=(event.starts_at - timedelta(days=366)).date(),
        last_date=(event.ends_at + timedelta(days=366)).date(),
    )
    text: bytes = calendar.to_ical()
    return text
