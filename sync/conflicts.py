"""Double admissions: which admission of a pass came first, and how the others relate to it.

An admission is a scan with `admitted: true` (the person went in). Each scan carries its device's
version vector at scan time, which says which other scans that door had seen. For one pass on
one door list, with no exits:

- a *root* admission is one whose vector covers no other admission of the pass: the door knew of
  no earlier entry;
- the *canonical first* is the smallest root by `(scanned_at, device, seq)` (`scanned_at` is the
  corrected time, device ids compare as strings of code points);
- every other admission is an `override` when its vector covers another admission of the pass
  (the door knew and let the person in anyway, including after its own earlier admission) and a
  `conflict` otherwise (two doors admitted the same pass, neither knowing of the other).

With exits (`sync.movements`), the pass's admissions and exits are put in one order and cut into
stays at each exit: the rule above applies within each stay. A double admission is two
admissions with no exit between them; an admission after an exit is a re-entry and is not
listed. The canonical first is the first admission of the first stay.

The answer depends only on the set of scans held, never on the order they arrived in, so the
server, the dashboard and every device agree once they hold the same scans. A scan's own device
entry is taken as exactly `seq - 1`: a device has seen all of its own earlier scans and none of
its later ones, whatever an old client wrote there.

All of this is per door list (`sync.lists`): a VIP who came in at the main gate and then onto
the VIP deck went in twice, once per list, and that is no double admission. Admissions of one
pass on different lists are never compared.
"""

from __future__ import annotations

from sync.movements import is_exit, movements_by_list, order_key, saw, stays
from sync.wire import DEFAULT_LIST, AdmissionRef, Conflict, Scan, State


def _admissions(state: State, pass_id: str) -> list[Scan]:
    by_device = state["admissions"].get(pass_id, {})
    return [
        state["scans"][device][str(seq)]
        for device in sorted(by_device)
        for seq in by_device[device]
    ]


def _ref(scan: Scan) -> AdmissionRef:
    return {
        "device": scan["device"],
        "seq": scan["seq"],
        "scanned_at": scan["scanned_at"],
        "door": scan["door"],
    }


def canonical_first(
    state: State, pass_id: str, *, list_id: str = DEFAULT_LIST
) -> AdmissionRef | None:
    """The admission every replica calls first for this pass on this door list, or None."""
    moves = movements_by_list(state, pass_id).get(list_id, [])
    first = next((move for move in moves if not is_exit(move)), None)
    return None if first is None else _ref(first)


def _classify_list(pass_id: str, list_id: str, moves: list[Scan]) -> list[Conflict]:
    out: list[tuple[Scan, Conflict]] = []
    for stay in stays(moves):
        first = stay[0]
        for other in stay[1:]:
            knew = any(saw(other, admission) for admission in stay if admission is not other)
            entry: Conflict = {
                "pass_id": pass_id,
                "first": _ref(first),
                "other": _ref(other),
                "kind": "override" if knew else "conflict",
            }
            if list_id != DEFAULT_LIST:
                entry["list"] = list_id
            out.append((other, entry))
    return [entry for _, entry in sorted(out, key=lambda item: order_key(item[0]))]


def classify(state: State, pass_id: str) -> list[Conflict]:
    """Every admission of the pass after the first of its stay, on every door list.

    Lists in code-point order of their ids, then by the other admission's
    `(scanned_at, device, seq)`; an entry names its `list` unless it is the default list.
    """
    by_device = state["admissions"].get(pass_id, {})
    if sum(len(seqs) for seqs in by_device.values()) < 2:
        return []  # one admission or none: nothing to classify, whatever the exits
    return [
        entry
        for list_id, moves in movements_by_list(state, pass_id).items()
        for entry in _classify_list(pass_id, list_id, moves)
    ]


def conflicts(state: State) -> list[Conflict]:
    """`classify` for every pass with two or more admissions, ordered by pass id."""
    out: list[Conflict] = []
    for pass_id in sorted(state["admissions"]):
        out.extend(classify(state, pass_id))
    return out


def also_admitted(state: State, pass_id: str, *, device: str) -> list[AdmissionRef]:
    """Admissions of the pass by devices other than `device` ("also admitted 20:14 at Gate B"),
    on every door list."""
    return [
        _ref(scan)
        for scan in sorted(_admissions(state, pass_id), key=order_key)
        if scan["device"] != device
    ]
