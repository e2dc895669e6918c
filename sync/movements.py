"""Exits, re-entry and who is inside: the one order of a pass's movements on a door list.

A door scans in or out. Both are scans, dots like any other, carrying the device's vector:

- an *admission* is a scan with `admitted: true` (whatever its direction: old replicas read
  `admitted` alone, and every replica must agree on what an admission is);
- an *exit* is a scan with `direction: "out"`, a pass id and `admitted: false`. Every such scan
  counts, whatever verdict it showed: nobody is held in, so a person scanned out went out, even
  when this door did not know they were in (`not_inside`; their admission may reach it later).

Movements of a pass are compared per door list (`sync.lists`), like admissions (`sync.conflicts`).
On one list they are put in one order, the same on every replica holding them:

1. a movement whose door had seen another (`saw`: the same device's earlier seq, or another
   device's dot its vector covers) comes after it, whatever the clocks say: a phone that knew of
   an exit and then let the person back in recorded a re-entry, even if its clock ran behind;
2. among movements free to go next (every movement they saw already placed), the smallest by
   `(scanned_at, device, seq)` goes first: movements no door knew of each other are ordered by
   corrected time, ties by device id in code points, then seq;
3. if none is free (only buggy vectors make a cycle), the smallest remaining goes first.

In that order, the pass is *inside* when its last movement is an admission. A *stay* is a run
of admissions up to the next exit: its first admission let the person in; any other admission in
the same stay is a second one with no exit between them (`sync.conflicts` calls it an override
when its door had seen another admission of the stay, a conflict when neither door knew). An
admission after an exit starts a new stay: a re-entry, not a double admission. With no exits this
is exactly the rule of old: one stay whose first is the smallest root.

`inside_counts` counts, for every list and tier, the passes inside now: the number the scanner
and the live door view show.
"""

from __future__ import annotations

from collections.abc import Sequence

from sync.dots import covers
from sync.wire import (
    DEFAULT_LIST,
    IN,
    OUT,
    InsideCount,
    MovementRef,
    Scan,
    State,
    scan_list,
)


def is_exit(scan: Scan) -> bool:
    """True for a scan on the way out that let nobody in and names a pass."""
    return scan.get("direction") == OUT and not scan["admitted"] and scan["pass_id"] is not None


def saw(scan: Scan, other: Scan) -> bool:
    """True when `scan`'s door had seen `other` when it scanned.

    A device has seen all of its own earlier scans and none of its later ones, whatever its
    vector says of itself.
    """
    if scan["device"] == other["device"]:
        return other["seq"] < scan["seq"]
    return covers(scan["vector"], other["device"], other["seq"])


def order_key(scan: Scan) -> tuple[int, str, int]:
    """The order of movements no door knew of each other: corrected time, device, seq."""
    return (scan["scanned_at"], scan["device"], scan["seq"])


def _held(state: State, index: dict[str, dict[str, list[int]]], pass_id: str) -> list[Scan]:
    by_device = index.get(pass_id, {})
    held = state["scans"]
    return [held[device][str(seq)] for device in sorted(by_device) for seq in by_device[device]]


def _in_order(moves: list[Scan]) -> list[Scan]:
    remaining = sorted(moves, key=order_key)
    out: list[Scan] = []
    while remaining:
        free = next(
            (
                index
                for index, move in enumerate(remaining)
                if not any(saw(move, other) for other in remaining if other is not move)
            ),
            0,  # a cycle of buggy vectors: the smallest remaining goes first
        )
        out.append(remaining.pop(free))
    return out


def movements_by_list(state: State, pass_id: str) -> dict[str, list[Scan]]:
    """The admissions and exits of a pass held here, per door list, each list in the one order.

    Lists in code-point order of their ids.
    """
    exits = state.get("exits", {})
    if pass_id not in exits:
        if pass_id not in state["admissions"]:
            return {}
        moves = _held(state, state["admissions"], pass_id)
        if len(moves) == 1:  # the common case: one admission, nothing to order
            return {scan_list(moves[0]): moves}
    else:
        moves = _held(state, state["admissions"], pass_id) + _held(state, exits, pass_id)
    grouped: dict[str, list[Scan]] = {}
    for move in moves:
        grouped.setdefault(scan_list(move), []).append(move)
    return {list_id: _in_order(grouped[list_id]) for list_id in sorted(grouped)}


def stays(moves: Sequence[Scan]) -> list[list[Scan]]:
    """The admissions of ordered movements, cut into stays at each exit."""
    out: list[list[Scan]] = []
    current: list[Scan] | None = None
    for move in moves:
        if is_exit(move):
            current = None
        elif current is None:
            current = [move]
            out.append(current)
        else:
            current.append(move)
    return out


def _ref(scan: Scan) -> MovementRef:
    return {
        "device": scan["device"],
        "seq": scan["seq"],
        "scanned_at": scan["scanned_at"],
        "door": scan["door"],
        "direction": OUT if is_exit(scan) else IN,
    }


def movements(state: State, pass_id: str, *, list_id: str = DEFAULT_LIST) -> list[MovementRef]:
    """The admissions and exits of a pass on one door list, in the one order."""
    return [_ref(move) for move in movements_by_list(state, pass_id).get(list_id, [])]


def is_inside(state: State, pass_id: str, *, list_id: str = DEFAULT_LIST) -> bool:
    """True when the pass's last movement on this list is an admission."""
    moves = movements_by_list(state, pass_id).get(list_id, [])
    return bool(moves) and not is_exit(moves[-1])


def inside_counts(state: State) -> list[InsideCount]:
    """Passes inside now, per door list and tier (null: not cached), lists and tiers in
    code-point order, the unknown tier last; only non-zero counts."""
    counts: dict[tuple[str, str | None], int] = {}
    exits = state.get("exits", {})
    for pass_id, by_device in state["admissions"].items():
        status = state["passes"].get(pass_id)
        tier = None if status is None else status["tier"]
        if pass_id not in exits and sum(len(seqs) for seqs in by_device.values()) == 1:
            # The common case, one admission and no exit: inside on its list, nothing to order.
            device, seqs = next(iter(by_device.items()))
            inside = [scan_list(state["scans"][device][str(seqs[0])])]
        else:
            grouped = movements_by_list(state, pass_id)
            inside = [k for k, moves in grouped.items() if moves and not is_exit(moves[-1])]
        for list_id in inside:
            counts[(list_id, tier)] = counts.get((list_id, tier), 0) + 1
    return [
        {"list": list_id, "tier": tier, "inside": n}
        for (list_id, tier), n in sorted(
            counts.items(), key=lambda item: (item[0][0], item[0][1] is None, item[0][1] or "")
        )
    ]
