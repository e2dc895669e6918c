"""The data model: one module per area, all sharing `Base.metadata` (what Alembic compares)."""

from api.db.after_sale import Broadcast, EventCancellation
from api.db.api_keys import ApiKey
from api.db.attendees import Attendee, AttendeeQuestion
from api.db.base import Base, utcnow, uuid7
from api.db.checkin import DoorList, Scan, ScannerDevice, ScannerPairing
from api.db.codes import Code, DiscountKind
from api.db.events import Event, EventKey, TicketTier
from api.db.orders import (
    HoldAllowance,
    Order,
    OrderLine,
    OrderStatus,
    Pass,
    PassChange,
    PassStatus,
    Refund,
)
from api.db.organizers import Organizer, OrganizerApplication, OrganizerMember, Role
from api.db.outgoing import WebhookDelivery, WebhookEndpoint
from api.db.partners import PartnerSite
from api.db.passkeys import Passkey, PasskeyChallenge, PasskeyRequirement
from api.db.self_service import PassTransfer, SelfServicePolicy
from api.db.system import (
    AuditEntry,
    LoginToken,
    OutboxMessage,
    RateLimitHit,
    StripeEvent,
    WebSession,
)
from api.db.waiting import WaitingEntry, WaitingListSettings, WaitingStatus

__all__ = [
    "ApiKey",
    "Attendee",
    "AttendeeQuestion",
    "AuditEntry",
    "Base",
    "Broadcast",
    "Code",
    "DiscountKind",
    "DoorList",
    "Event",
    "EventCancellation",
    "EventKey",
    "HoldAllowance",
    "LoginToken",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Organizer",
    "OrganizerApplication",
    "OrganizerMember",
    "OutboxMessage",
    "PartnerSite",
    "Pass",
    "PassChange",
    "PassStatus",
    "PassTransfer",
    "Passkey",
    "PasskeyChallenge",
    "PasskeyRequirement",
    "RateLimitHit",
    "Refund",
    "Role",
    "Scan",
    "ScannerDevice",
    "ScannerPairing",
    "SelfServicePolicy",
    "StripeEvent",
    "TicketTier",
    "WaitingEntry",
    "WaitingListSettings",
    "WaitingStatus",
    "WebSession",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
    "uuid7",
]
