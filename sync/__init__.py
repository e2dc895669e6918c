"""POCtix sync core: how offline door scanners and the server agree on one event.

This package is the protocol, with no transport and no storage (see `sync/PROTOCOL.md` for the
spec and `sync/vectors/` for the golden cases that `pwa/lib/sync-core.js` must also pass). It is
plain Python over plain JSON data, so the server, the tests and the JavaScript mirror can share
every record verbatim.

    dots       origins, dots, version vectors (covers, merge_vectors, contiguous_high)
    wire       record shapes and their checks (PassChange, Scan, State, ..., SyncError)
    replica    a replica and how it learns (new_state, apply_*, merge, changes_since)
    lists      door lists: which tiers a door admits, and when (apply_list, door_list, ...)
    push       upload and acknowledgement (validate_push, ack_outbox)
    verdicts   what the door shows (verdict, new_scan, scan_key)
    messages   the human words for a verdict (message)
    movements  exits, re-entry and who is inside (movements, is_inside, inside_counts)
    conflicts  double admissions (canonical_first, classify, conflicts, also_admitted)
    clock      clock correction (clock_offset, corrected_now)

Message types (PROTOCOL.md sections 9-10; the device is known from its credentials):

    1. push request    {scans}                              device -> server
    2. push answer     {acked, server_time} or a PushError  server -> device
    3. pull request    {vector, limit, lists_after?}                device -> server
    4. pull answer     {changes, scans, lists?, more, server_time}  server -> device
"""

from sync.clock import clock_offset, corrected_now
from sync.conflicts import also_admitted, canonical_first, classify, conflicts
from sync.dots import contiguous_high, covers, merge_vectors
from sync.lists import apply_list, door_list, lists_high, merge_lists
from sync.messages import Message, message
from sync.movements import inside_counts, is_inside, movements
from sync.push import ack_outbox, validate_push
from sync.replica import (
    apply_pass_change,
    apply_scan,
    apply_snapshot,
    changes_since,
    held_high,
    merge,
    new_state,
)
from sync.verdicts import DEBOUNCE_MS, new_scan, scan_key, verdict
from sync.wire import (
    DEFAULT_LIST,
    IN,
    OUT,
    SERVER,
    AdmissionRef,
    Conflict,
    DoorList,
    InsideCount,
    MovementRef,
    Page,
    PassChange,
    PassStatus,
    PushError,
    Recent,
    Scan,
    State,
    SyncError,
    Verdict,
)

__all__ = [
    "DEBOUNCE_MS",
    "DEFAULT_LIST",
    "IN",
    "OUT",
    "SERVER",
    "AdmissionRef",
    "Conflict",
    "DoorList",
    "InsideCount",
    "Message",
    "MovementRef",
    "Page",
    "PassChange",
    "PassStatus",
    "PushError",
    "Recent",
    "Scan",
    "State",
    "SyncError",
    "Verdict",
    "ack_outbox",
    "also_admitted",
    "apply_list",
    "apply_pass_change",
    "apply_scan",
    "apply_snapshot",
    "canonical_first",
    "changes_since",
    "classify",
    "clock_offset",
    "conflicts",
    "contiguous_high",
    "corrected_now",
    "covers",
    "door_list",
    "held_high",
    "inside_counts",
    "is_inside",
    "lists_high",
    "merge",
    "merge_lists",
    "merge_vectors",
    "message",
    "movements",
    "new_scan",
    "new_state",
    "scan_key",
    "validate_push",
    "verdict",
]
