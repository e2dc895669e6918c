"""Wire shapes of the scanner API (`/api/v1/scanner/…`), as msgspec Structs.

Sync messages never forbid unknown fields: phones stay in the field for months, and a newer
phone talking to an older server (or the reverse) must keep working. Fields added later get
defaults. Times on the wire are integers: milliseconds since the Unix epoch, UTC. A pass is
named on the wire by its pass id: the 18-character base32 text of its pass key.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec

PASS_ID_PATTERN = "^[A-Z2-7]{18}$"  # noqa: S105  (a regex, not a password)
PassId = Annotated[str, msgspec.Meta(min_length=18, max_length=18, pattern=PASS_ID_PATTERN)]
Millis = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Seq = Annotated[int, msgspec.Meta(ge=1, le=2**53)]
# The OpenAPI generator drops constraints on a dict's values: they are restated for the schema
# ("extra" is Litestar's schema_extra), so clients and fuzzers know counters are never negative.
Vector = Annotated[
    dict[str, Annotated[int, msgspec.Meta(ge=0, le=2**53)]],
    msgspec.Meta(
        extra_json_schema={
            "extra": {"additionalProperties": {"type": "integer", "minimum": 0, "maximum": 2**53}}
        }
    ),
]


class EventInfo(msgspec.Struct):
    id: uuid.UUID
    name: str
    venue: str
    timezone: str
    """IANA zone the door shows times in."""
    starts_at: Millis
    ends_at: Millis


class DeviceInfo(msgspec.Struct):
    id: uuid.UUID
    door: str
    list: str = "default"
    """The door list this phone applies (`list_id` of a record in `Bootstrap.lists`)."""


class PublicKey(msgspec.Struct):
    kid: int
    """The key id written in tokens (unsigned 32-bit)."""
    public_key: str
    """Raw 32-byte Ed25519 public key, base64url without padding."""


class PassPack(msgspec.Struct):
    """Every pass of the event at `vector["server"]`, packed: 13 bytes per pass.

    Record = 11-byte pass key | status byte (0 valid, 1 void refunded, 2 void disputed,
    3 void cancelled, 4 void event cancelled: a phone older than 4 shows it as plain void) |
    tier index byte (into `Bootstrap.tiers`). `data` is standard base64.
    """

    count: int
    data: str
    """Empty in the binary bootstrap, where the records follow the answer (`frame_bootstrap`)."""


class Bootstrap(msgspec.Struct):
    event: EventInfo
    device: DeviceInfo
    keys: list[PublicKey]
    tiers: list[str]
    passes: PassPack
    vector: Vector
    """The snapshot's knowledge: `{"server": n}`; scans come by pull."""
    server_time: Millis
    lists: list[dict[str, Any]] = msgspec.field(default_factory=list)
    """Every door list record of the event (sync/PROTOCOL.md section 18)."""


BOOTSTRAP_MAGIC = b"PXB1"
BOOTSTRAP_MEDIA_TYPE = "application/vnd.poctix.bootstrap"


def frame_bootstrap(answer: Bootstrap, pack: bytes) -> bytes:
    """The binary bootstrap (`GET /api/v1/scanner/bootstrap/binary`): no base64, no 3 MB JSON
    string for the phone to parse, and records it can store as they arrive.

        "PXB1" | header length (4 bytes, big-endian) | header: the JSON answer, with an empty
        `passes.data` | `passes.count` records of 13 bytes (as in `PassPack`)
    """
    header = msgspec.json.encode(answer)
    return BOOTSTRAP_MAGIC + len(header).to_bytes(4, "big") + header + pack


class WirePassChange(msgspec.Struct, forbid_unknown_fields=False):
    origin: str
    seq: Seq
    pass_id: PassId
    status: str
    tier: str | None = None
    reason: str | None = None


class WireScan(msgspec.Struct, forbid_unknown_fields=False):
    device: str
    seq: Seq
    scanned_at: Millis
    """The device's clock plus its offset to server time."""
    verdict: Annotated[str, msgspec.Meta(max_length=20)]
    admitted: bool
    door: Annotated[str, msgspec.Meta(max_length=80)]
    vector: Vector
    pass_id: PassId | None = None
    code: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    """First characters of a code that did not verify (pass_id is then null)."""


class PushRequest(msgspec.Struct, forbid_unknown_fields=False):
    scans: Annotated[list[dict[str, Any]], msgspec.Meta(max_length=1000)]
    """Unacknowledged scans in seq order, at most 1,000 per request."""
    pending: int | None = None
    """How many scans the device still holds unsent after this batch (for the dashboard)."""


class RefusedScan(msgspec.Struct):
    seq: int
    code: str
    """`nul_character`, `verdict_too_long` or `time_out_of_range` (stable)."""
    reason: str
    """Words for the door: "N scans could not be stored: {reason}"."""


class PushResponse(msgspec.Struct):
    acked: int
    """Highest gap-free seq the server holds for this device: drop the outbox up to here."""
    server_time: Millis
    refused: list[RefusedScan] = []
    """Scans of this batch the server could not store as sent: it holds a placeholder under
    each seq (so `acked` passes them), and the door shows them before dropping them."""


class PullRequest(msgspec.Struct, forbid_unknown_fields=False):
    vector: Vector
    limit: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 2000
    # The schema generator drops the bounds of an optional integer: restated for the schema.
    lists_after: Annotated[
        Annotated[int, msgspec.Meta(ge=0, le=2**53)] | None,
        msgspec.Meta(extra_json_schema={"extra": {"minimum": 0, "maximum": 2**53}}),
    ] = None
    """The highest door list change this phone holds; asks for `lists` in the answer."""


class PullResponse(msgspec.Struct):
    changes: list[WirePassChange]
    scans: list[dict[str, Any]]
    """Other devices' scans, each a `WireScan` plus any fields newer clients sent (kept)."""
    more: bool
    """True when `limit` cut the answer short: pull again with the merged vector."""
    server_time: Millis
    lists: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET
    """Door lists changed after the request's `lists_after`; absent when it named none."""


class AdmissionWire(msgspec.Struct):
    device: str
    seq: int
    scanned_at: Millis
    door: str


class ConflictWire(msgspec.Struct):
    pass_id: str
    kind: str
    """`conflict` (two doors, both unaware) or `override` (the door knew and admitted anyway)."""
    first: AdmissionWire
    other: AdmissionWire


class ConflictList(msgspec.Struct):
    conflicts: list[ConflictWire]
    server_time: Millis


class Guest(msgspec.Struct, array_like=True):
    """One pass of the guest list, as a JSON array: `[pass_id, name, email, order]`."""

    pass_id: PassId
    name: str
    """The buyer's name as given at checkout (may be empty)."""
    email: str
    order: str
    """The order reference the buyer sees ("K7Q2MXP4")."""


class GuestList(msgspec.Struct):
    guests: list[Guest]
    erase_at: Millis
    """When the phone must erase these names (24 hours after the event ends)."""
    server_time: Millis
