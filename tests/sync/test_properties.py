"""Properties of the sync core that must hold for every history, not just the golden cases.

Histories are generated the way doors make them: each scan's vector only covers changes and scans
that existed before it (so causality has no cycles), a device's own entry is its previous seq, and
a pass's status is changed by numbered server changes. Then the records are delivered in every
order hypothesis can think of, with duplicates, in batches, through pushes that lose their acks
and pulls cut into pages.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sync
from sync import Scan, State

DEVICES = ("gate-a", "gate-b", "gate-c")
PASSES = ("P1", "P2", "P3")
T0 = 1_750_000_000_000

Record = dict[str, Any]

# Generated histories vary in size; a slow CI machine must not turn that into a failure.
NO_DEADLINE = settings(deadline=None)


@st.composite
def histories(draw: st.DrawFn, *, max_changes: int = 8, max_scans: int = 14) -> list[Record]:
    """Pass changes and scans of one event, each scan knowing only what came before it."""
    records: list[Record] = []
    changes = draw(st.integers(0, max_changes))
    for seq in range(1, changes + 1):
        void = draw(st.booleans())
        records.append(
            {
                "origin": "server",
                "seq": seq,
                "pass_id": draw(st.sampled_from(PASSES)),
                "status": "void" if void else "valid",
                "tier": draw(st.sampled_from(["GA", "VIP", None])),
                "reason": draw(st.sampled_from(["refunded", "disputed"])) if void else None,
            }
        )
    counts = dict.fromkeys(DEVICES, 0)
    for _ in range(draw(st.integers(0, max_scans))):
        device = draw(st.sampled_from(DEVICES))
        counts[device] += 1
        seq = counts[device]
        vector = {"server": draw(st.integers(0, changes))}
        for other in DEVICES:
            known = seq - 1 if other == device else draw(st.integers(0, counts[other]))
            vector[other] = known
        admitted = draw(st.booleans())
        records.append(
            {
                "device": device,
                "seq": seq,
                "pass_id": draw(st.sampled_from([*PASSES, None])),
                # A narrow time range makes ties, which the canonical order must break.
                "scanned_at": T0 + draw(st.integers(0, 5)) * 1000,
                "verdict": "admit" if admitted else "already_scanned",
                "admitted": admitted,
                "door": draw(st.sampled_from(["North", "South"])),
                "vector": {k: v for k, v in vector.items() if v > 0},
            }
        )
    return records


def fresh(records: Sequence[Record]) -> State:
    state = sync.new_state()
    sync.merge(state, records)
    return state


def held_seqs(records: Sequence[Record], origin: str) -> set[int]:
    key = "origin" if origin == "server" else "device"
    return {r["seq"] for r in records if r.get(key) == origin}


@NO_DEADLINE
@given(data=st.data(), history=histories())
def test_merging_any_order_and_duplication_gives_the_same_state_and_conflicts(
    data: st.DataObject, history: list[Record]
) -> None:
    reference = fresh(history)
    duplicates = data.draw(
        st.lists(st.sampled_from(history), max_size=6) if history else st.just([])
    )
    delivery = data.draw(st.permutations(history + duplicates))
    state = sync.new_state()
    start = 0
    while start < len(delivery):
        size = data.draw(st.integers(1, 4))
        sync.merge(state, copy.deepcopy(delivery[start : start + size]))
        start += size
    assert state == reference
    assert sync.conflicts(state) == sync.conflicts(reference)
    for pass_id in PASSES:
        assert sync.canonical_first(state, pass_id) == sync.canonical_first(reference, pass_id)


@NO_DEADLINE
@given(data=st.data(), history=histories())
def test_vector_only_grows_and_always_equals_the_gap_free_high_of_what_is_held(
    data: st.DataObject, history: list[Record]
) -> None:
    subset = data.draw(st.lists(st.sampled_from(history), unique_by=id) if history else st.just([]))
    delivery = data.draw(st.permutations(subset))
    state = sync.new_state()
    delivered: list[Record] = []
    for record in delivery:
        before = dict(state["vector"])
        sync.merge(state, [record])
        delivered.append(record)
        for origin, high in before.items():
            assert state["vector"][origin] >= high
        for origin in ("server", *DEVICES):
            expected = sync.contiguous_high(held_seqs(delivered, origin))
            assert state["vector"].get(origin, 0) == expected
        assert 0 not in state["vector"].values()


@NO_DEADLINE
@given(data=st.data(), history=histories())
def test_every_admitted_pass_has_one_first_and_every_other_admission_is_classified(
    data: st.DataObject, history: list[Record]
) -> None:
    state = fresh(history)
    for pass_id in PASSES:
        admissions = [
            r for r in history if r.get("pass_id") == pass_id and r.get("admitted") is True
        ]
        listed = sync.classify(state, pass_id)
        first = sync.canonical_first(state, pass_id)
        if not admissions:
            assert first is None
            assert listed == []
            continue
        assert first is not None
        assert len(listed) == len(admissions) - 1
        others = {(c["other"]["device"], c["other"]["seq"]) for c in listed}
        assert (first["device"], first["seq"]) not in others
        for entry in listed:
            other = next(
                a
                for a in admissions
                if (a["device"], a["seq"]) == (entry["other"]["device"], entry["other"]["seq"])
            )
            knew = any(
                sync.covers(other["vector"], a["device"], a["seq"])
                for a in admissions
                if a is not other
            )
            assert entry["kind"] == ("override" if knew else "conflict")
        # The first never knew of another admission: the door had no reason to doubt it.
        first_scan = next(
            a for a in admissions if (a["device"], a["seq"]) == (first["device"], first["seq"])
        )
        assert not any(
            sync.covers(first_scan["vector"], a["device"], a["seq"])
            for a in admissions
            if a is not first_scan
        )


@NO_DEADLINE
@given(
    scans=st.integers(0, 12),
    actions=st.lists(st.tuples(st.integers(1, 5), st.booleans()), max_size=12),
)
def test_push_with_lost_acks_delivers_every_scan_once_and_acks_gap_free(
    scans: int, actions: list[tuple[int, bool]]
) -> None:
    device = "gate-a"
    outbox: list[Scan] = [
        {
            "device": device,
            "seq": seq,
            "pass_id": "P1",
            "scanned_at": T0 + seq,
            "verdict": "admit",
            "admitted": True,
            "door": "North",
            "vector": {device: seq - 1} if seq > 1 else {},
        }
        for seq in range(1, scans + 1)
    ]
    server = sync.new_state()
    acked_by_device = 0
    for batch_size, ack_lost in [*actions, (scans + 1, False)]:
        batch = outbox[:batch_size]
        held = sync.held_high(server, device)
        assert sync.validate_push(device=device, held_high=held, scans=batch) is None
        sync.merge(server, batch)
        acked = sync.held_high(server, device)
        assert acked == sync.contiguous_high(int(k) for k in server["scans"].get(device, {}))
        assert acked >= acked_by_device
        if not ack_lost:
            outbox = cast(list[Scan], sync.ack_outbox(outbox, acked))
            acked_by_device = acked
            assert [s["seq"] for s in outbox] == list(range(acked + 1, scans + 1))
    assert outbox == []
    assert sync.held_high(server, device) == scans
    assert len(server["scans"].get(device, {})) == scans


@NO_DEADLINE
@given(
    held_high=st.integers(0, 6),
    first=st.integers(1, 9),
    length=st.integers(1, 4),
)
def test_an_accepted_push_never_leaves_a_gap(held_high: int, first: int, length: int) -> None:
    device = "gate-b"
    server = sync.new_state()
    sync.merge(
        server,
        [
            {
                "device": device,
                "seq": seq,
                "pass_id": None,
                "scanned_at": T0,
                "verdict": "invalid",
                "admitted": False,
                "door": "South",
                "vector": {},
            }
            for seq in range(1, held_high + 1)
        ],
    )
    batch = [
        {
            "device": device,
            "seq": seq,
            "pass_id": "P2",
            "scanned_at": T0 + seq,
            "verdict": "admit",
            "admitted": True,
            "door": "South",
            "vector": {},
        }
        for seq in range(first, first + length)
    ]
    error = sync.validate_push(device=device, held_high=held_high, scans=batch)
    if first > held_high + 1:
        assert error is not None
        assert error["code"] == "seq_gap"
        assert error["expected"] == held_high + 1
        return
    assert error is None
    sync.merge(server, batch)
    assert sync.held_high(server, device) == max(held_high, first + length - 1)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), history=histories(max_scans=18), limit=st.integers(1, 5))
def test_paged_pulls_bring_a_scanner_to_the_servers_knowledge(
    data: st.DataObject, history: list[Record], limit: int
) -> None:
    server = fresh(history)
    device = data.draw(st.sampled_from(DEVICES))
    replica = fresh([r for r in history if r.get("device") == device])
    total = len(history) - len(replica["scans"].get(device, {}))
    pages = 0
    while True:
        page = sync.changes_since(server, replica["vector"], for_device=device, limit=limit)
        pages += 1
        assert len(page["changes"]) + len(page["scans"]) <= limit
        sync.merge(replica, [*page["changes"], *page["scans"]])
        if not page["more"]:
            break
        assert pages <= total
    assert replica == server
    assert pages == max(1, -(-total // limit))
    assert sync.changes_since(server, replica["vector"], for_device=device) == {
        "changes": [],
        "scans": [],
        "more": False,
    }


@NO_DEADLINE
@given(history=histories())
def test_a_pull_answer_is_exactly_what_the_vector_does_not_cover(history: list[Record]) -> None:
    server = fresh(history)
    vector = {"server": 2, "gate-a": 1}
    page = sync.changes_since(server, vector, for_device="gate-b")
    got = {("server", c["seq"]) for c in page["changes"]} | {
        (s["device"], s["seq"]) for s in page["scans"]
    }
    want = {
        ("server", r["seq"]) if "origin" in r else (r["device"], r["seq"])
        for r in history
        if ("origin" in r and r["seq"] > 2)
        or (r.get("device") == "gate-a" and r["seq"] > 1)
        or r.get("device") == "gate-c"
    }
    assert got == want
    seqs = [c["seq"] for c in page["changes"]]
    assert seqs == sorted(seqs)
    keys = [(s["device"], s["seq"]) for s in page["scans"]]
    assert keys == sorted(keys)


@NO_DEADLINE
@given(history=histories(), snapshot_at=st.integers(0, 8), data=st.data())
def test_a_snapshot_then_the_log_after_it_matches_the_full_log(
    history: list[Record], snapshot_at: int, data: st.DataObject
) -> None:
    changes = [r for r in history if "origin" in r]
    snapshot_at = min(snapshot_at, len(changes))
    full = fresh(changes)
    at_snapshot = fresh([c for c in changes if c["seq"] <= snapshot_at])
    passes = {
        pass_id: {"status": p["status"], "tier": p["tier"], "reason": p["reason"]}
        for pass_id, p in at_snapshot["passes"].items()
    }
    replica = sync.new_state()
    later = [c for c in changes if c["seq"] > snapshot_at]
    older = [c for c in changes if c["seq"] <= snapshot_at]
    # Re-delivered old changes and new changes may race the snapshot in any order.
    items: list[Record | str] = [
        *later,
        *data.draw(st.lists(st.sampled_from(older)) if older else st.just([])),
        "snapshot",
    ]
    for item in data.draw(st.permutations(items)):
        if item == "snapshot":
            sync.apply_snapshot(replica, server_seq=snapshot_at, passes=passes)
        else:
            sync.merge(replica, [cast(Record, item)])
    assert replica["vector"] == full["vector"]
    status = {k: (v["status"], v["tier"], v["reason"]) for k, v in replica["passes"].items()}
    want = {k: (v["status"], v["tier"], v["reason"]) for k, v in full["passes"].items()}
    assert status == want


@st.composite
def list_changes(draw: st.DrawFn) -> list[Record]:
    """The server's door list changes: each numbered by one counter, each the list's whole
    definition after the change (so one seq never carries two contents)."""
    out: list[Record] = []
    for seq in range(1, draw(st.integers(0, 8)) + 1):
        record: Record = {
            "list_id": draw(st.sampled_from(["default", "vip", "bar"])),
            "seq": seq,
            "name": draw(st.sampled_from(["Main", "VIP deck", "Bar"])),
            "tiers": draw(st.sampled_from([None, ["VIP"], ["GA", "VIP"]])),
            "from": draw(st.sampled_from([None, T0, T0 + 3000])),
            "until": draw(st.sampled_from([None, T0 + 2000])),
            "reentry": draw(st.booleans()),
        }
        out.append(record)
    return out


@NO_DEADLINE
@given(data=st.data(), changes=list_changes())
def test_list_changes_in_any_order_and_repetition_leave_each_lists_latest_definition(
    data: st.DataObject, changes: list[Record]
) -> None:
    latest: dict[str, Record] = {}
    for record in changes:
        latest[record["list_id"]] = record
    duplicates = data.draw(
        st.lists(st.sampled_from(changes), max_size=4) if changes else st.just([])
    )
    delivery = data.draw(st.permutations(changes + duplicates))
    state = sync.new_state()
    start = 0
    while start < len(delivery):
        size = data.draw(st.integers(1, 3))
        sync.merge_lists(state, copy.deepcopy(delivery[start : start + size]))
        start += size
    assert state.get("lists", {}) == latest
    assert sync.lists_high(state) == max((r["seq"] for r in changes), default=0)
    for list_id, record in latest.items():
        assert sync.door_list(state, list_id) == record


@NO_DEADLINE
@given(data=st.data(), changes=list_changes())
def test_pulls_that_name_lists_after_bring_a_phone_every_list_change_once(
    data: st.DataObject, changes: list[Record]
) -> None:
    """A phone pulls between the server's list changes; it ends with the server's lists, and
    each pull carries only the lists changed since the previous one."""
    server = sync.new_state()
    phone = sync.new_state()
    for record in changes:
        sync.apply_list(server, record)
        if data.draw(st.booleans()):
            page = sync.changes_since(server, phone["vector"], lists_after=sync.lists_high(phone))
            assert all(r["seq"] > sync.lists_high(phone) for r in page["lists"])
            assert sync.merge_lists(phone, page["lists"]) == len(page["lists"])
    page = sync.changes_since(server, phone["vector"], lists_after=sync.lists_high(phone))
    sync.merge_lists(phone, page["lists"])
    assert phone == server
    again = sync.changes_since(server, phone["vector"], lists_after=sync.lists_high(phone))
    assert again == {"changes": [], "scans": [], "more": False, "lists": []}


LISTS = ("default", "vip")


@st.composite
def door_histories(draw: st.DrawFn, *, max_scans: int = 16) -> list[Record]:
    """Admissions and exits on two door lists, each scan knowing only what came before it."""
    records: list[Record] = [
        {"origin": "server", "seq": n, "pass_id": p, "status": "valid", "tier": t, "reason": None}
        for n, (p, t) in enumerate([("P1", "GA"), ("P2", "VIP")], start=1)
    ]
    counts = dict.fromkeys(DEVICES, 0)
    for _ in range(draw(st.integers(0, max_scans))):
        device = draw(st.sampled_from(DEVICES))
        counts[device] += 1
        seq = counts[device]
        vector = {"server": 2}
        for other in DEVICES:
            vector[other] = seq - 1 if other == device else draw(st.integers(0, counts[other]))
        way_out = draw(st.booleans())
        list_id = draw(st.sampled_from(LISTS))
        records.append(
            {
                "device": device,
                "seq": seq,
                "pass_id": draw(st.sampled_from(["P1", "P2", "P3"])),
                "scanned_at": T0 + draw(st.integers(0, 5)) * 1000,
                "verdict": "exit" if way_out else "admit",
                "admitted": not way_out and draw(st.booleans()),
                "door": draw(st.sampled_from(["North", "South"])),
                "vector": {k: v for k, v in vector.items() if v > 0},
                **({"direction": "out"} if way_out else {}),
                **({"list": list_id} if list_id != "default" else {}),
            }
        )
    return records


def _moves(history: Sequence[Record], pass_id: str, list_id: str) -> list[Record]:
    return [
        r
        for r in history
        if r.get("pass_id") == pass_id
        and r.get("list", "default") == list_id
        and (r.get("admitted") is True or r.get("direction") == "out")
    ]


@NO_DEADLINE
@given(data=st.data(), history=door_histories())
def test_exits_in_any_order_and_duplication_give_the_same_movements_and_inside_counts(
    data: st.DataObject, history: list[Record]
) -> None:
    reference = fresh(history)
    duplicates = data.draw(st.lists(st.sampled_from(history), max_size=4))
    delivery = data.draw(st.permutations(history + duplicates))
    state = sync.new_state()
    for record in delivery:
        sync.merge(state, [copy.deepcopy(record)])
    assert state == reference
    assert sync.conflicts(state) == sync.conflicts(reference)
    assert sync.inside_counts(state) == sync.inside_counts(reference)
    for pass_id in ("P1", "P2", "P3"):
        for list_id in LISTS:
            got = sync.movements(state, pass_id, list_id=list_id)
            assert got == sync.movements(reference, pass_id, list_id=list_id)


@NO_DEADLINE
@given(history=door_histories())
def test_the_order_of_movements_never_puts_a_movement_before_one_its_door_had_seen(
    history: list[Record],
) -> None:
    state = fresh(history)
    for pass_id in ("P1", "P2", "P3"):
        for list_id in LISTS:
            order = sync.movements(state, pass_id, list_id=list_id)
            assert len(order) == len(_moves(history, pass_id, list_id))
            scans = [state["scans"][m["device"]][str(m["seq"])] for m in order]
            for i, earlier in enumerate(scans):
                for later in scans[i + 1 :]:
                    assert not (
                        later["device"] != earlier["device"]
                        and sync.covers(earlier["vector"], later["device"], later["seq"])
                    ), "a movement came before one its door had seen"
                    if later["device"] == earlier["device"]:
                        assert earlier["seq"] < later["seq"]


@NO_DEADLINE
@given(history=door_histories())
def test_a_double_admission_is_two_admissions_with_no_exit_between_them(
    history: list[Record],
) -> None:
    state = fresh(history)
    counts: dict[tuple[str, str | None], int] = {}
    for pass_id in ("P1", "P2", "P3"):
        listed = sync.classify(state, pass_id)
        for list_id in LISTS:
            order = sync.movements(state, pass_id, list_id=list_id)
            ways = [m["direction"] for m in order]
            position = {(m["device"], m["seq"]): i for i, m in enumerate(order)}
            mine = [c for c in listed if c.get("list", "default") == list_id]
            stays = sum(
                1 for i, w in enumerate(ways) if w == "in" and (i == 0 or ways[i - 1] == "out")
            )
            # Each admission is the first of its stay or listed once against that first.
            assert len(mine) == ways.count("in") - stays
            for entry in mine:
                first = position[(entry["first"]["device"], entry["first"]["seq"])]
                other = position[(entry["other"]["device"], entry["other"]["seq"])]
                assert first < other
                assert "out" not in ways[first:other], "an exit lies between the two admissions"
                assert first == 0 or ways[first - 1] == "out"
            inside = bool(ways) and ways[-1] == "in"
            assert sync.is_inside(state, pass_id, list_id=list_id) == inside
            if inside:
                status = state["passes"].get(pass_id)
                tier = None if status is None else status["tier"]
                counts[(list_id, tier)] = counts.get((list_id, tier), 0) + 1
    got = {(row["list"], row["tier"]): row["inside"] for row in sync.inside_counts(state)}
    assert got == counts


@NO_DEADLINE
@given(history=histories())
def test_without_exits_the_stays_rule_is_the_rule_of_old(history: list[Record]) -> None:
    """One stay per pass: the first is the smallest root, others override or conflict as before."""
    state = fresh(history)
    for pass_id in PASSES:
        admissions = [
            r for r in history if r.get("pass_id") == pass_id and r.get("admitted") is True
        ]
        if not admissions:
            continue

        def saw_any(scan: Record, admissions: list[Record] = admissions) -> bool:
            return any(
                (o["device"] == scan["device"] and o["seq"] < scan["seq"])
                or (
                    o["device"] != scan["device"]
                    and sync.covers(scan["vector"], o["device"], o["seq"])
                )
                for o in admissions
                if o is not scan
            )

        def key(scan: Record) -> tuple[int, str, int]:
            return (scan["scanned_at"], scan["device"], scan["seq"])

        roots = [a for a in admissions if not saw_any(a)]
        first = min(roots or admissions, key=key)
        want = [
            (o["device"], o["seq"], "override" if saw_any(o) else "conflict")
            for o in sorted(admissions, key=key)
            if o is not first
        ]
        got = [
            (c["other"]["device"], c["other"]["seq"], c["kind"])
            for c in sync.classify(state, pass_id)
        ]
        assert got == want
        assert sync.canonical_first(state, pass_id) == {
            "device": first["device"],
            "seq": first["seq"],
            "scanned_at": first["scanned_at"],
            "door": first["door"],
        }


def test_a_scan_on_the_way_out_admits_nobody() -> None:
    state = sync.new_state()
    shown: sync.Verdict = {
        "code": "exit", "pass_id": "P1", "tier": None, "reason": None, "at": None, "door": None
    }  # fmt: skip
    scan = sync.new_scan(
        state, device="gate-a", verdict=shown, door="North", scanned_at=T0, direction="out"
    )
    assert scan["admitted"] is False
    assert scan["direction"] == "out"
    with pytest.raises(ValueError, match="admits nobody"):
        sync.new_scan(
            state,
            device="gate-a",
            verdict=shown,
            door="North",
            scanned_at=T0,
            direction="out",
            admitted=True,
        )
    with pytest.raises(ValueError, match="direction"):
        sync.verdict(
            state, token={"ok": True, "pass_id": "P1"}, device="gate-a", now=T0, recent=None,
            direction="sideways",
        )  # fmt: skip
