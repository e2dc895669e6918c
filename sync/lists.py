"""Door lists: which passes a door admits, and when.

An organizer defines door lists per event ("VIP deck: VIP only, from 7 PM"); a paired phone is
bound to one. A list record names the tiers it admits (null: every tier), an optional window
(`from` inclusive, `until` exclusive, corrected epoch ms) and whether a pass that went out may
come back in (`reentry`). The default list (`"default"`) admits every tier at any time without
re-entry, which is the door as it was before lists: a scan with no `list` field is on it.

Lists are server changes of their own kind, numbered by a per-event list counter apart from the
pass changes (so an old phone, which never hears of lists, still sees gap-free pass changes).
A list record carries the list's whole definition after its latest change, so a replica keeps
only the latest record per list (higher `seq` wins, first copy wins on a tie) and knows every
list change up to `lists_high`: the highest seq it holds. A pull that names `lists_after` gets
every list whose latest change is later (`changes_since`), so a change to a list reaches a phone
at its next pull, and costs one record per list changed.

A phone bound to a list it holds no record of (its pull has not brought it yet) applies the
default definition: the door keeps admitting as it did before lists rather than turning everyone
away for a late record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sync.wire import DEFAULT_LIST, DoorList, State, SyncError, clone, list_problem

DEFAULT_NAME = "All passes"
"""The name of a list this replica holds no record of (and of the default list until its
record arrives). Only the words of list verdicts show it, and no such verdict can arise from a
list that admits every tier at any time."""


def _check(door_list: object) -> DoorList:
    problem = list_problem(door_list)
    if problem is not None:
        raise SyncError("bad_type", f"door list: {problem}")
    return cast(DoorList, door_list)


def _store(state: State, door_list: DoorList) -> bool:
    held = state.setdefault("lists", {})
    current = held.get(door_list["list_id"])
    if current is not None and current["seq"] >= door_list["seq"]:
        return False
    held[door_list["list_id"]] = clone(door_list)
    return True


def apply_list(state: State, door_list: Mapping[str, Any]) -> bool:
    """Store one list record; True if it replaced what this replica held for the list."""
    return _store(state, _check(door_list))


def merge_lists(state: State, items: Sequence[Mapping[str, Any]]) -> int:
    """Store list records (a pull's `lists`, a bootstrap's); return how many were new.

    Every record is checked before any is stored, so a bad batch changes nothing.
    """
    if not isinstance(items, list):
        raise SyncError("bad_type", "lists must be a list")
    checked = [_check(item) for item in items]
    return sum(_store(state, record) for record in checked)


def lists_high(state: State) -> int:
    """The highest list change seq held: what a pull names as `lists_after`."""
    return max((record["seq"] for record in state.get("lists", {}).values()), default=0)


def door_list(state: State, list_id: str = DEFAULT_LIST) -> DoorList:
    """The definition a door bound to `list_id` applies, absent fields filled with defaults.

    A list this replica holds no record of admits every tier at any time, without re-entry.
    """
    record = state.get("lists", {}).get(list_id)
    if record is None:
        return {
            "list_id": list_id,
            "seq": 0,
            "name": DEFAULT_NAME,
            "tiers": None,
            "from": None,
            "until": None,
            "reentry": False,
        }
    tiers = record.get("tiers")
    return {
        "list_id": list_id,
        "seq": record["seq"],
        "name": record["name"],
        "tiers": None if tiers is None else list(tiers),
        "from": record.get("from"),
        "until": record.get("until"),
        "reentry": record.get("reentry", False),
    }
