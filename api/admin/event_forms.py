"""Reading the dashboard's event and tier forms: strings in, checked values or messages out.

People type times as wall-clock times in the event's own zone (`datetime-local` inputs carry no
zone), so a time is read together with the zone and stored in UTC. A wall time that does not
exist in that zone (the hour skipped when clocks go forward) is refused rather than shifted
silently. Prices are typed in major units of the event's currency ("25.00", "1500" yen) and
stored in minor units as Stripe counts them (`api.currencies`).

Every problem is collected, so the re-rendered form lists them all at once (an `Invalid`). Rules
that need the database (sold and held tickets, duplicate slugs and names) and the platform-fee
rule (`api.events.tiers.check_tier`) are applied by `api.events.editing`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from api import currencies
from api.checkin.door_lists import ListFields
from api.errors import Invalid
from api.events.editing import SLUG, EventFields, TierFields
from api.i18n.context import LANGUAGES

CURRENCY = re.compile(r"[A-Z]{3}")
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


@cache
def zone_names() -> tuple[str, ...]:
    """Zones offered in the picker: the IANA areas, without the legacy aliases."""
    legacy = ("Etc/", "SystemV/", "US/", "posix", "right/")
    names = {z for z in available_timezones() if "/" in z and not z.startswith(legacy)}
    return ("UTC", *sorted(names))


def local_input(moment: datetime | None, zone: str) -> str:
    """A stored UTC time as the value of a `datetime-local` input in the event's zone."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def slug_from(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].rstrip("-")


def read_event(data: Mapping[str, str]) -> EventFields:
    problems: list[str] = []
    name = _text(data, "name", 200)
    if not name:
        problems.append("Give the event a name.")
    slug = _text(data, "slug", 63).lower() or slug_from(name)
    if not SLUG.fullmatch(slug):
        problems.append(
            "The address (slug) may use lowercase letters, digits and dashes, and must start"
            " with a letter or digit."
        )
    zone = _text(data, "timezone", 64)
    if zone not in zone_names() and zone not in available_timezones():
        problems.append(f"Pick a time zone from the list (e.g. Pacific/Honolulu), not “{zone}”.")
        zone = ""
    starts_at, ends_at = _span(
        data, ("starts_at", "start"), ("ends_at", "end"), zone, problems, required=True,
        backwards="The event must end after it starts.",
    )  # fmt: skip
    currency = _text(data, "currency", 3).upper()
    if currency and not (CURRENCY.fullmatch(currency) and currencies.is_currency(currency)):
        problems.append("The currency is a three-letter code such as USD, EUR or JPY.")
    language = _text(data, "language", 5).lower()
    if language and language not in LANGUAGES:
        problems.append("Pick the default language from the list (English, Español, Deutsch).")
    if problems:
        raise Invalid(*problems)
    assert starts_at is not None
    assert ends_at is not None
    return EventFields(
        name=name, slug=slug, description=_text(data, "description", 20_000),
        venue=_text(data, "venue", 300), timezone=zone, starts_at=starts_at, ends_at=ends_at,
        currency=currency, language=language,
    )  # fmt: skip


def read_tier(data: Mapping[str, str], *, zone: str, currency: str) -> TierFields:
    """A tier form; its prices are in `currency`, the event's (the form has no currency)."""
    problems: list[str] = []
    name = _text(data, "name", 120)
    if not name:
        problems.append("Give the tier a name.")
    price_minor = _price(data.get("price", ""), currency, problems)
    capacity = _whole(data, "capacity", "Capacity", problems, low=0, high=1_000_000)
    most = _whole(data, "max_per_order", "Tickets per order", problems, low=1, high=100)
    sales_start, sales_end = _span(
        data, ("sales_start", "sales start"), ("sales_end", "sales end"), zone, problems,
        required=False, backwards="Sales must end after they start.",
    )  # fmt: skip
    if problems:
        raise Invalid(*problems)
    assert price_minor is not None
    assert capacity is not None
    assert most is not None
    return TierFields(
        name=name, description=_text(data, "description", 5_000), price_minor=price_minor,
        currency=currency, capacity=capacity, sales_start=sales_start, sales_end=sales_end,
        max_per_order=most,
    )  # fmt: skip


def price_input(price_minor: int, currency: str) -> str:
    return currencies.plain(price_minor, currency)


def _text(data: Mapping[str, str], key: str, limit: int) -> str:
    return (data.get(key) or "").replace("\x00", "").strip()[:limit]


def _price(raw: str, currency: str, problems: list[str]) -> int | None:
    text = re.sub(r"^[^\d.\-]+|[^\d.]+$", "", raw.strip().replace(",", ""))  # ¥, $, " EUR"
    try:
        amount = Decimal(text or "x")
    except InvalidOperation:
        problems.append("The price is a number such as 25 or 25.00 (0 for a free ticket).")
        return None
    if not amount.is_finite() or abs(amount) > 1_000_000_000:
        problems.append("That price is too high.")
        return None
    minor = currencies.to_minor(amount, currency)
    if minor is None:
        places = currencies.typed_places(currency)
        said = ("whole amounts", "at most one decimal place", "at most two decimal places")[places]
        problems.append(f"A price in {currency} must use {said}.")
        return None
    if minor < 0:
        problems.append("A price cannot be negative.")
        return None
    if minor > 100_000_000:
        problems.append("That price is too high.")
        return None
    return int(minor)


def _whole(
    data: Mapping[str, str], key: str, label: str, problems: list[str], *, low: int, high: int
) -> int | None:
    raw = (data.get(key) or "").strip()
    if not re.fullmatch(r"-?[0-9]{1,9}", raw):
        problems.append(f"{label} must be a whole number.")
        return None
    value = int(raw)
    if not low <= value <= high:
        problems.append(f"{label} must be between {low} and {high:,}.")
        return None
    return value


def _span(
    data: Mapping[str, str], start: tuple[str, str], end: tuple[str, str], zone: str,
    problems: list[str], *, required: bool, backwards: str,
) -> tuple[datetime | None, datetime | None]:  # fmt: skip
    """Two times, each (field, label), of which the second must come after the first."""
    first = _moment(data, *start, zone, problems, required=required)
    last = _moment(data, *end, zone, problems, required=required)
    if first and last and last <= first:
        problems.append(backwards)
    return first, last


def _moment(
    data: Mapping[str, str], key: str, label: str, zone: str, problems: list[str], *,
    required: bool,
) -> datetime | None:  # fmt: skip
    raw = (data.get(key) or "").strip()
    if not raw:
        if required:
            problems.append(f"Give the {label} date and time.")
        return None
    wall = None
    for layout in LOCAL_FORMATS:
        try:
            wall = datetime.strptime(raw, layout)
            break
        except ValueError:
            continue
    if wall is None:
        problems.append(f"The {label} is not a date and time (YYYY-MM-DDTHH:MM).")
        return None
    if not zone:
        return None  # the zone problem is already reported
    aware = wall.replace(tzinfo=ZoneInfo(zone))
    moment = aware.astimezone(UTC)
    if moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None) != wall:
        problems.append(f"The {label} {raw} does not exist in {zone} (the clocks skip it).")
        return None
    return moment


def read_door_list(data: Mapping[str, str | list[str]], *, zone: str) -> ListFields:
    """A door list form: a name, "every tier" or the ticked tiers (`tier`, tier ids), an
    optional opening and closing time in the event's zone, and whether guests may come back."""
    problems: list[str] = []
    text = {key: value for key, value in data.items() if isinstance(value, str)}
    ticked = data.get("tier", [])
    tier_ids: list[uuid.UUID] | None = None
    if text.get("admits") != "every":
        tier_ids = []
        for raw in [ticked] if isinstance(ticked, str) else ticked:
            try:
                tier_ids.append(uuid.UUID(raw))
            except ValueError:
                problems.append("A tier chosen for this door list is not one of this event's.")
                break
    opens_at, closes_at = _span(
        text, ("opens_at", "opening time"), ("closes_at", "closing time"), zone, problems,
        required=False, backwards="The door must close after it opens.",
    )  # fmt: skip
    if problems:
        raise Invalid(*problems)
    return ListFields(
        name=_text(text, "name", 200), tier_ids=tier_ids, opens_at=opens_at,
        closes_at=closes_at, reentry=text.get("reentry") == "yes",
    )  # fmt: skip
