"""A replica: what one device or the server knows about one event, and how it learns more.

A replica holds two logs, keyed by dot, indexes over them, and the door lists it was sent:

    {
      "vector":     {"server": 41, "3f1c...": 17},          # section 4: gap-free highs
      "changes":    {"41": PassChange, ...},                # every server pass change held
      "scans":      {"3f1c...": {"17": Scan, ...}, ...},    # every scan held, by device then seq
      "passes":     {"P7QK...": {"status", "tier", "reason", "seq"}},   # latest change per pass
      "admissions": {"P7QK...": {"3f1c...": [4, 17]}},      # admitted scans per pass and device
      "exits":      {"P7QK...": {"9a0e...": [8]}},          # exits, likewise (once there is one)
      "lists":      {"vip-deck": DoorList},                 # latest door list records (sync.lists)
    }

Seqs are written as decimal strings where they are object keys (JSON keys are strings) and as
integers everywhere else. The indexes are kept up to date with the logs in the same call, so a
verdict looks a pass up in O(1) without replaying anything.

Storing is by dot, first copy wins (the server's `ON CONFLICT DO NOTHING`), so `merge` is
idempotent and the final state does not depend on the order or repetition of what arrived. A
change that arrives early (its seq is beyond vector + 1) is stored and indexed at once; the vector
catches up when the gap fills. A device may instead start from a snapshot of the pass index
(`apply_snapshot`): the vector jumps to the snapshot's seq and its log starts after it.

`changes_since` answers a pull: every held record the requester's vector does not cover, pass
changes first (by seq), then other devices' scans (by device, seq), and, when asked, the door
lists changed since the requester's `lists_high` (`sync.lists`).

These functions mutate the state they are given (a 50,000-pass replica is too big to copy per
scan) and return what they stored.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sync.dots import advance, covers
from sync.wire import (
    OUT,
    SERVER,
    Page,
    PassChange,
    PassStatus,
    Scan,
    State,
    SyncError,
    change_problem,
    clone,
    is_int,
    is_vector,
    scan_problem,
)


def new_state() -> State:
    """An empty replica: knows no pass and no scan."""
    return {"vector": {}, "changes": {}, "passes": {}, "scans": {}, "admissions": {}}


def _check_change(change: object) -> PassChange:
    problem = change_problem(change)
    if problem is not None:
        raise SyncError("bad_type", f"pass change: {problem}")
    return cast(PassChange, change)


def _check_scan(scan: object) -> Scan:
    problem = scan_problem(scan)
    if problem is not None:
        raise SyncError("bad_type", f"scan: {problem}")
    return cast(Scan, scan)


def apply_pass_change(state: State, change: Mapping[str, Any]) -> bool:
    """Store one pass change; True if it was new. Later seq wins for a pass."""
    return _store_change(state, _check_change(change))


def apply_scan(state: State, scan: Mapping[str, Any]) -> bool:
    """Store one scan; True if it was new. Unknown fields are kept as they came."""
    return _store_scan(state, _check_scan(scan))


def is_pass_change(item: Mapping[str, Any]) -> bool:
    """Pass changes carry `"origin": "server"`; everything else in a merge is a scan."""
    return item.get("origin") == SERVER


def merge(state: State, items: Sequence[Mapping[str, Any]]) -> int:
    """Store a mix of pass changes and scans; return how many were new.

    Every item is checked before any is stored, so a bad batch changes nothing.
    """
    checked: list[PassChange | Scan] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise SyncError("bad_type", f"item {index}: must be an object")
        checked.append(_check_change(item) if is_pass_change(item) else _check_scan(item))
    stored = 0
    for record in checked:
        if is_pass_change(record):
            stored += _store_change(state, cast(PassChange, record))
        else:
            stored += _store_scan(state, cast(Scan, record))
    return stored


def _store_change(state: State, change: PassChange) -> bool:
    changes = state["changes"]
    seq = change["seq"]
    if str(seq) in changes:
        return False
    changes[str(seq)] = clone(change)
    current = state["passes"].get(change["pass_id"])
    if current is None or current["seq"] < seq:
        state["passes"][change["pass_id"]] = {
            "status": change["status"],
            "tier": change.get("tier"),
            "reason": change.get("reason"),
            "seq": seq,
        }
    advance(state["vector"], SERVER, lambda s: str(s) in changes)
    return True


def _store_scan(state: State, scan: Scan) -> bool:
    device, seq = scan["device"], scan["seq"]
    held = state["scans"].setdefault(device, {})
    if str(seq) in held:
        return False
    held[str(seq)] = clone(scan)
    pass_id = scan["pass_id"]
    if pass_id is not None and (scan["admitted"] or scan.get("direction") == OUT):
        # An admission whatever its direction (old replicas read `admitted` alone); an exit is
        # a scan on the way out that let nobody in.
        index = state["admissions"] if scan["admitted"] else state.setdefault("exits", {})
        seqs = index.setdefault(pass_id, {}).setdefault(device, [])
        bisect.insort(seqs, seq)
    advance(state["vector"], device, lambda s: str(s) in held)
    return True


def apply_snapshot(
    state: State, *, server_seq: int, passes: Mapping[str, Mapping[str, Any]]
) -> None:
    """Install the server's pass index as of `server_seq` (a bootstrap) without its log.

    Each snapshot entry counts as a change numbered `server_seq`: it replaces an older entry and
    loses to a newer one, so snapshots, re-delivered old changes and new changes can arrive in
    any order. The vector jumps to `server_seq`; changes after it arrive by pull as usual.
    """
    if not is_int(server_seq) or server_seq < (1 if passes else 0):
        raise SyncError("bad_type", "'server_seq' must be an integer >= 1 (0 if no passes)")
    entries: dict[str, PassStatus] = {}
    for pass_id, entry in passes.items():
        if not isinstance(entry, dict):
            raise SyncError("bad_type", f"snapshot {pass_id}: must be an object")
        problem = change_problem({**entry, "origin": SERVER, "seq": server_seq, "pass_id": pass_id})
        if problem is not None:
            raise SyncError("bad_type", f"snapshot {pass_id}: {problem}")
        entries[pass_id] = {
            "status": entry["status"],
            "tier": entry.get("tier"),
            "reason": entry.get("reason"),
            "seq": server_seq,
        }
    for pass_id, entry in entries.items():
        current = state["passes"].get(pass_id)
        if current is None or current["seq"] < server_seq:
            state["passes"][pass_id] = entry
    if state["vector"].get(SERVER, 0) < server_seq:
        state["vector"][SERVER] = server_seq
    changes = state["changes"]
    advance(state["vector"], SERVER, lambda s: str(s) in changes)


def held_high(state: State, origin: str) -> int:
    """Highest gap-free seq held for `origin`: what the server acknowledges after a push."""
    return state["vector"].get(origin, 0)


def changes_since(
    state: State,
    vector: Mapping[str, int],
    *,
    for_device: str | None = None,
    limit: int | None = None,
    lists_after: int | None = None,
) -> Page:
    """Everything held that `vector` does not cover, oldest first, at most `limit` records.

    Scans of `for_device` itself are left out: it has them. `more` is true when the limit cut
    the answer short; pulling again with the vector advanced by this page gets the rest.
    With `lists_after`, the page also carries `lists`: every door list whose latest change is
    numbered above it, by seq. Lists are few and do not count against `limit`; a requester that
    names no `lists_after` (an older phone) gets no `lists` key.
    """
    if not is_vector(vector):
        raise SyncError("bad_type", "'vector' must map origins to integers >= 0")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise SyncError("bad_limit", "'limit' must be an integer >= 1 or null")
    if lists_after is not None and (not is_int(lists_after) or lists_after < 0):
        raise SyncError("bad_type", "'lists_after' must be an integer >= 0 or null")
    budget = limit if limit is not None else -1
    page: Page = {"changes": [], "scans": [], "more": False}
    if lists_after is not None:
        newer = [r for r in state.get("lists", {}).values() if r["seq"] > lists_after]
        page["lists"] = [clone(r) for r in sorted(newer, key=lambda r: (r["seq"], r["list_id"]))]
    for seq in sorted(int(k) for k in state["changes"]):
        if covers(vector, SERVER, seq):
            continue
        if budget == 0:
            page["more"] = True
            return page
        page["changes"].append(clone(state["changes"][str(seq)]))
        budget -= 1
    for device in sorted(state["scans"]):
        if device == for_device:
            continue
        held = state["scans"][device]
        for seq in sorted(int(k) for k in held):
            if covers(vector, device, seq):
                continue
            if budget == 0:
                page["more"] = True
                return page
            page["scans"].append(clone(held[str(seq)]))
            budget -= 1
    return page
