"""What the organizer API answers with: msgspec Structs, each with an example for the OpenAPI
schema (`documented`). New fields get defaults, so clients written against today's shapes keep
working."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example


class Tier(msgspec.Struct):
    id: uuid.UUID
    name: str
    price_minor: int
    """In the currency's minor unit (cents)."""
    currency: str
    capacity: int
    sold: int
    held: int
    """Seats in checkouts not yet paid."""
    available: int
    sales_start: datetime | None
    sales_end: datetime | None
    max_per_order: int
    hidden: bool
    """Sold only with an access code."""


class Event(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    """IANA zone the event's times are shown in (they are sent in UTC)."""
    currency: str
    published: bool
    cancelled_at: datetime | None
    url: str
    """The public event page."""
    tiers: list[Tier] = []


class OrderLine(msgspec.Struct):
    tier_id: uuid.UUID
    tier: str
    quantity: int
    unit_price_minor: int


class PassOut(msgspec.Struct):
    id: str
    """The pass id as the door and the dashboard show it (18 characters)."""
    order: uuid.UUID
    """The order's `id`."""
    tier_id: uuid.UUID
    tier: str
    status: str
    """`valid` or `void`."""
    void_reason: str | None
    holder_name: str
    """The ticket holder's name when the event asks for one, else ""."""


class Order(msgspec.Struct):
    id: uuid.UUID
    """The key of `/api/v1/orders/{id}`. It opens nothing without a key (unlike `passes_url`)."""
    reference: str
    """What a buyer reads out ("K7Q2MXP4"); not unique, not a key."""
    event_id: uuid.UUID
    status: str
    """pending, paid, expired, cancelled, refunded, partially_refunded or disputed."""
    buyer_email: str
    buyer_name: str
    currency: str
    total_minor: int
    refunded_minor: int
    fee_minor: int
    """The platform's fee."""
    discount_minor: int
    source: str
    """`sale`, `waiting` (through a waiting-list offer), `comp` or `transfer`."""
    source_site: str | None
    created_at: datetime
    paid_at: datetime | None
    lines: list[OrderLine]
    passes: list[PassOut] | None = None
    """On `GET /api/v1/orders/{id}` only."""
    passes_url: str | None = None
    """The buyer's passes page. A bearer link: whoever has it sees the passes' QR codes and can
    walk in with them, so only keys with the `orders` scope get it (as pretix gives an order's
    secret only to tokens with order permissions); null for every other key."""


class CheckIn(msgspec.Struct):
    id: uuid.UUID
    pass_id: str | None
    """None for a code that did not verify."""
    verdict: str
    """The door's reason code: admit, already_scanned, void, invalid, exit, ..."""
    admitted: bool
    door: str
    scanned_at: datetime
    """The phone's time of the scan (corrected for its clock)."""
    received_at: datetime
    """When the server received it (a scan made offline arrives later)."""
    source: str
    """`door` (a phone) or `dashboard` (the order page or this API)."""


class EventPage(msgspec.Struct):
    items: list[Event]
    next: str | None
    """Pass as `?cursor=` for the next page; None on the last page."""


class TierPage(msgspec.Struct):
    items: list[Tier]
    next: str | None


class OrderPage(msgspec.Struct):
    items: list[Order]
    next: str | None


class PassPage(msgspec.Struct):
    items: list[PassOut]
    next: str | None


class CheckInPage(msgspec.Struct):
    items: list[CheckIn]
    next: str | None


class CheckInResult(msgspec.Struct):
    recorded: bool
    """True when the guest was checked in; False when the door would not admit them."""
    code: str
    """The door's reason code (`admit`, `already_scanned`, `void`, ...)."""
    message: str
    """The door's words ("Already scanned 7:34 PM at Gate A")."""


def documented(status: int, container: type, example: Any, description: str) -> dict[int, Any]:
    """The success answer of an operation with its example, for its `responses=`."""
    return {
        status: ResponseSpec(
            data_container=container,
            description=description,
            generate_examples=False,
            examples=[Example(summary=description, value=msgspec.to_builtins(example))],
        )
    }


_T = uuid.UUID("0193a5f0-7c1e-7d2a-9b3c-1f2e3d4c5b6a")
_E = uuid.UUID("0193a5f0-6a00-7f11-8e22-334455667788")
_AT = datetime.fromisoformat("2026-12-18T20:00:00+00:00")
TIER = Tier(
    id=_T, name="General admission", price_minor=2500, currency="USD", capacity=200, sold=143,
    held=4, available=53, sales_start=None, sales_end=_AT, max_per_order=10, hidden=False,
)  # fmt: skip
EVENT = Event(
    id=_E, slug="driftwood-dec-18", name="Driftwood Live", venue="Reef Bar, Hilo",
    starts_at=_AT, ends_at=datetime.fromisoformat("2026-12-19T01:00:00+00:00"),
    timezone="Pacific/Honolulu", currency="USD", published=True, cancelled_at=None,
    url="https://tickets.example/e/driftwood-dec-18", tiers=[TIER],
)  # fmt: skip
_O = uuid.UUID("0193a5f1-0b2c-7a3d-8e4f-5a6b7c8d9e0f")
PASS = PassOut(
    id="K3TQ7ZP2M4X6A5B7CD", order=_O, tier_id=_T,
    tier="General admission", status="valid", void_reason=None, holder_name="Ana Ruiz",
)  # fmt: skip
ORDER = Order(
    id=_O, reference="K7Q2MXP4", event_id=_E, status="paid",
    buyer_email="ana@example.com", buyer_name="Ana Ruiz", currency="USD", total_minor=5000,
    refunded_minor=0, fee_minor=400, discount_minor=0, source="sale", source_site=None,
    created_at=datetime.fromisoformat("2026-12-01T18:04:11+00:00"),
    paid_at=datetime.fromisoformat("2026-12-01T18:05:02+00:00"),
    lines=[OrderLine(tier_id=_T, tier="General admission", quantity=2, unit_price_minor=2500)],
)  # fmt: skip
PASSES_URL = "https://tickets.example/passes/q2Xw9dM0vYtJ8bZk1NcR4e"
CHECK_IN = CheckIn(
    id=uuid.UUID("0193a6b2-1d40-7c00-8a11-223344556677"), pass_id=PASS.id, verdict="admit",
    admitted=True, door="Main gate", scanned_at=datetime.fromisoformat("2026-12-18T20:14:03+00:00"),
    received_at=datetime.fromisoformat("2026-12-18T20:31:40+00:00"), source="door",
)  # fmt: skip
NEXT = "AZOl8GwefT2bPB8uPTxbag"
