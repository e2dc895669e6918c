"""Double admissions: which admission of a pass came first, and how the others relate to it.

An admission is a scan with `admitted: true` (the person went in). Each scan carries its device's
version vector at scan time, which says which other scans that door had seen. For one pass:

- a *root* admission is one whose vector covers no other admission of the pass: the door knew of
  no earlier entry;
- the *canonical first* is the smallest root by `(scanned_at, device, seq)` (`scanned_at` is the
  corrected time, device ids compare as strings of code points);
- every other admission is an `override` when its vector covers another admission of the pass
  (the door knew and let the person in anyway, including after its own earlier admission) and a
  `conflict` otherwise (two doors admitted the same pass, neither knowing of the other).

The answer depends only on the set of scans held, never on the order they arrived in, so the
server, the dashboard and every device agree once they hold the same scans. A scan's own device
entry is taken as exactly `seq - 1`: a device has seen all of its own earlier scans and none of
its later ones, whatever an old client wrote there.

All of this is per door list (`sync.lists`): a VIP who came in at the main gate and then onto
the VIP deck went in twice, once per list, and that is no double admission. Admissions of one
pass on different lists are never compared.
"""

from __future__ import annotations

from sync.dots import covers
from sync.wire import DEFAULT_LIST, AdmissionRef, Conflict, Scan, State, scan_list


def _admissions(state: State, pass_id: str) -> list[Scan]:
    by_device = state["admissions"].get(pass_id, {})
    return [
        state["scans"][device][str(seq)]
        for device in sorted(by_device)
        for seq in by_device[device]
    ]


def _by_list(admissions: list[Scan]) -> dict[str, list[Scan]]:
    """The admissions grouped by door list, lists in code-point order of their ids."""
    out: dict[str, list[Scan]] = {}
    for scan in admissions:
        out.setdefault(scan_list(scan), []).append(scan)
    return dict(sorted(out.items()))


def _order(scan: Scan) -> tuple[int, str, int]:
    return (scan["scanned_at"], scan["device"], scan["seq"])


def _saw(scan: Scan, other: Scan) -> bool:
    """True when `scan`'s door had seen `other` when it scanned."""
    if scan["device"] == other["device"]:
        return other["seq"] < scan["seq"]
    return covers(scan["vector"], other["device"], other["seq"])


def _saw_any(scan: Scan, admissions: list[Scan]) -> bool:
    return any(_saw(scan, other) for other in admissions if other is not scan)


def _ref(scan: Scan) -> AdmissionRef:
    return {
        "device": scan["device"],
        "seq": scan["seq"],
        "scanned_at": scan["scanned_at"],
        "door": scan["door"],
    }


def _first(admissions: list[Scan]) -> Scan | None:
    if not admissions:
        return None
    roots = [a for a in admissions if not _saw_any(a, admissions)]
    # Honest histories always have a root (causality has no cycles). Vectors from a buggy client
    # could form one; fall back to the plain order rather than report no first at all.
    return min(roots or admissions, key=_order)


def canonical_first(
    state: State, pass_id: str, *, list_id: str = DEFAULT_LIST
) -> AdmissionRef | None:
    """The admission every replica calls first for this pass on this door list, or None."""
    admissions = [a for a in _admissions(state, pass_id) if scan_list(a) == list_id]
    first = _first(admissions)
    return None if first is None else _ref(first)


def _classify_list(pass_id: str, list_id: str, admissions: list[Scan]) -> list[Conflict]:
    first = _first(admissions)
    out: list[Conflict] = []
    for other in sorted(admissions, key=_order):
        if other is first or first is None:
            continue
        entry: Conflict = {
            "pass_id": pass_id,
            "first": _ref(first),
            "other": _ref(other),
            "kind": "override" if _saw_any(other, admissions) else "conflict",
        }
        if list_id != DEFAULT_LIST:
            entry["list"] = list_id
        out.append(entry)
    return out


def classify(state: State, pass_id: str) -> list[Conflict]:
    """Every admission of the pass after the canonical first of its door list.

    Lists in code-point order of their ids, then by `(scanned_at, device, seq)`; an entry names
    its `list` unless it is the default list.
    """
    return [
        entry
        for list_id, admissions in _by_list(_admissions(state, pass_id)).items()
        for entry in _classify_list(pass_id, list_id, admissions)
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
        for scan in sorted(_admissions(state, pass_id), key=_order)
        if scan["device"] != device
    ]
