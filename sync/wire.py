"""Wire shapes of the POCtix sync protocol, and the checks that guard them.

Everything that crosses the wire or sits in a replica is plain JSON data: objects, arrays,
strings, booleans, null and integers (times are integer milliseconds since the Unix epoch, UTC).
The TypedDicts below name those shapes for readers and for mypy; at run time they are ordinary
dicts, and a dict may carry keys the TypedDict does not list. That is deliberate: old phones stay
in the field for months, so a receiver keeps unknown fields and never rejects them (PROTOCOL.md
section 2).

Two checks, `scan_problem` and `change_problem`, say in one English sentence what is wrong with a
scan or a pass change, or return None. They guard every entry point (`apply_scan`, `merge`,
`validate_push`), so a malformed record is refused as a whole and never half-applied. Integers
must be safe integers (|n| <= 2**53 - 1) so that the JavaScript mirror reads them exactly.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict, TypeGuard

SERVER = "server"
"""The origin string of pass changes. No device may use it as its id."""

DEFAULT_LIST = "default"
"""The id of the door list every event has: every tier, any time. A scan without `list` is on it."""

IN = "in"
OUT = "out"
"""A scan's `direction`: absent (or anything but "out") is the way in, like every older scan."""

MAX_SAFE_INT = 2**53 - 1


class SyncError(ValueError):
    """A record or argument the protocol refuses; `code` is a stable reason code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PassChange(TypedDict):
    """Status of one pass after a change made by the server (issued, voided, reinstated)."""

    origin: str
    seq: int
    pass_id: str
    status: str
    tier: str | None
    reason: str | None


class Scan(TypedDict):
    """One scan on one device: a fact, kept whatever its verdict."""

    device: str
    seq: int
    pass_id: str | None
    scanned_at: int
    verdict: str
    admitted: bool
    door: str
    vector: dict[str, int]
    list: NotRequired[str]
    """The door list the device was bound to; absent (or null) on the default list."""
    direction: NotRequired[str]
    """"out" on a door scanning people out; absent on the way in."""
    source: NotRequired[str]
    """How the pass was found: absent for a scanned code, "search" (by name on the phone),
    "dashboard" (checked in from the dashboard)."""


DoorList = TypedDict(
    "DoorList",
    {
        "list_id": str,
        "seq": int,
        "name": str,
        "tiers": list[str] | None,
        "from": int | None,
        "until": int | None,
        "reentry": bool,
    },
)
"""Which passes a door admits and when (PROTOCOL.md section 18). `from` is a Python keyword,
hence the functional form; `tiers` null admits every tier, `from`/`until` null leave the window
open on that side. On the wire every field but `list_id`, `seq` and `name` may be absent."""


class PassStatus(TypedDict):
    """Index entry: the latest held change of one pass."""

    status: str
    tier: str | None
    reason: str | None
    seq: int


class State(TypedDict):
    """A replica (PROTOCOL.md section 7). `passes`, `admissions` and `exits` index the logs;
    `exits` and `lists` appear once the replica holds an exit or a door list."""

    vector: dict[str, int]
    changes: dict[str, PassChange]
    passes: dict[str, PassStatus]
    scans: dict[str, dict[str, Scan]]
    admissions: dict[str, dict[str, list[int]]]
    exits: NotRequired[dict[str, dict[str, list[int]]]]
    lists: NotRequired[dict[str, DoorList]]


class Page(TypedDict):
    """Answer to a pull: what the requester's vector does not cover."""

    changes: list[PassChange]
    scans: list[Scan]
    more: bool
    lists: NotRequired[list[DoorList]]


class Recent(TypedDict):
    """The last verdict shown on a device, for debounce."""

    device: str
    key: str
    at: int


class Verdict(TypedDict):
    """What the door shows, as a stable reason code plus the facts behind it."""

    code: str
    pass_id: str | None
    tier: str | None
    reason: str | None
    at: int | None
    door: str | None
    list_name: NotRequired[str]


class AdmissionRef(TypedDict):
    """Enough of an admission scan to name it and say when and where it happened."""

    device: str
    seq: int
    scanned_at: int
    door: str


class Conflict(TypedDict):
    """A second (or later) admission of one pass, and how it relates to the canonical first."""

    pass_id: str
    first: AdmissionRef
    other: AdmissionRef
    kind: str
    list: NotRequired[str]


class MovementRef(TypedDict):
    """One admission or exit of a pass: which door, when, and which way."""

    device: str
    seq: int
    scanned_at: int
    door: str
    direction: str


class InsideCount(TypedDict):
    """How many passes of one tier are inside on one door list."""

    list: str
    tier: str | None
    inside: int


class PushError(TypedDict):
    """Why a push was refused as a whole. `expected` is the seq the server wanted, if any."""

    code: str
    message: str
    expected: int | None


def is_int(value: object) -> TypeGuard[int]:
    """True for a safe integer; bools are not integers on the wire."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_SAFE_INT


def is_vector(value: object) -> TypeGuard[dict[str, int]]:
    """True for an object mapping origin strings to integers >= 0."""
    if not isinstance(value, dict):
        return False
    return all(isinstance(k, str) and is_int(v) and v >= 0 for k, v in value.items())


def _str_or_null(value: object) -> bool:
    return value is None or (isinstance(value, str) and value != "")


def scan_problem(scan: object) -> str | None:
    """Say what makes `scan` unusable, or None. Fields are checked in a fixed order."""
    if not isinstance(scan, dict):
        return "must be an object"
    device = scan.get("device")
    if not isinstance(device, str) or device in ("", SERVER):
        return "'device' must be a non-empty string other than \"server\""
    seq = scan.get("seq")
    if not is_int(seq) or seq < 1:
        return "'seq' must be an integer >= 1"
    if "pass_id" not in scan or not _str_or_null(scan["pass_id"]):
        return "'pass_id' must be a non-empty string or null"
    scanned_at = scan.get("scanned_at")
    if not is_int(scanned_at) or scanned_at < 0:
        return "'scanned_at' must be an integer >= 0 (milliseconds since 1970)"
    if not isinstance(scan.get("verdict"), str):
        return "'verdict' must be a string"
    if not isinstance(scan.get("admitted"), bool):
        return "'admitted' must be a boolean"
    if not isinstance(scan.get("door"), str):
        return "'door' must be a string"
    if not is_vector(scan.get("vector")):
        return "'vector' must map origins to integers >= 0"
    if not _str_or_null(scan.get("list")):
        return "'list' must be a non-empty string or null"
    direction = scan.get("direction")
    if direction is not None and not isinstance(direction, str):
        return "'direction' must be a string or null"
    source = scan.get("source")
    if source is not None and not isinstance(source, str):
        return "'source' must be a string or null"
    return None


def scan_list(scan: Scan) -> str:
    """The door list a scan was made on: its `list`, or the default list when absent or null."""
    return scan.get("list") or DEFAULT_LIST


def change_problem(change: object) -> str | None:
    """Say what makes a pass change unusable, or None. `tier`/`reason` may be absent."""
    if not isinstance(change, dict):
        return "must be an object"
    if change.get("origin") != SERVER:
        return "'origin' must be \"server\""
    seq = change.get("seq")
    if not is_int(seq) or seq < 1:
        return "'seq' must be an integer >= 1"
    pass_id = change.get("pass_id")
    if not isinstance(pass_id, str) or pass_id == "":
        return "'pass_id' must be a non-empty string"
    if not isinstance(change.get("status"), str):
        return "'status' must be a string"
    if not _str_or_null(change.get("tier")):
        return "'tier' must be a non-empty string or null"
    if not _str_or_null(change.get("reason")):
        return "'reason' must be a non-empty string or null"
    return None


def _time_or_null(value: object) -> bool:
    return value is None or (is_int(value) and value >= 0)


def list_problem(door_list: object) -> str | None:
    """Say what makes a door list record unusable, or None. Only list_id, seq, name required."""
    if not isinstance(door_list, dict):
        return "must be an object"
    list_id = door_list.get("list_id")
    if not isinstance(list_id, str) or list_id == "":
        return "'list_id' must be a non-empty string"
    seq = door_list.get("seq")
    if not is_int(seq) or seq < 1:
        return "'seq' must be an integer >= 1"
    name = door_list.get("name")
    if not isinstance(name, str) or name == "":
        return "'name' must be a non-empty string"
    tiers = door_list.get("tiers")
    if tiers is not None and not (
        isinstance(tiers, list) and all(isinstance(t, str) and t != "" for t in tiers)
    ):
        return "'tiers' must be a list of tier names or null"
    if not _time_or_null(door_list.get("from")):
        return "'from' must be an integer >= 0 (milliseconds since 1970) or null"
    if not _time_or_null(door_list.get("until")):
        return "'until' must be an integer >= 0 (milliseconds since 1970) or null"
    if not isinstance(door_list.get("reentry", False), bool):
        return "'reentry' must be a boolean"
    return None


def clone(value: Any) -> Any:
    """Deep-copy JSON data, so a replica never shares objects with its caller."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value
