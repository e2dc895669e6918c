"""Run every golden case in sync/vectors/*.json against the Python sync core.

The same files run against pwa/lib/sync-core.js (tests/js/sync-vectors.test.mjs); the step
format is specified in sync/PROTOCOL.md section 16. Each case is one test, named by its failure
story, so a broken rule reads as the story it breaks.
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

import sync
from sync import Recent, Scan, State, SyncError, Verdict

VECTORS = Path(sync.__file__).parent / "vectors"


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(VECTORS.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            cases.append({**case, "file": path.name})
    return cases


CASES = load_cases()


@dataclass
class Replica:
    """One device or the server, plus what the door app keeps beside the replica."""

    state: State = field(default_factory=sync.new_state)
    outbox: list[Scan] = field(default_factory=list)
    recent: Recent | None = None
    offset: int = 0


class Run:
    def __init__(self, case: dict[str, Any]) -> None:
        self.replicas: dict[str, Replica] = {}
        for name, items in case.get("replicas", {}).items():
            sync.merge(self.at(name).state, items)

    def at(self, name: str) -> Replica:
        return self.replicas.setdefault(name, Replica())

    def step(self, step: dict[str, Any]) -> None:
        op = step["op"]
        handler = getattr(self, "op_" + op, None)
        assert handler is not None, f"unknown op {op!r}"
        self.checked: set[str] = set()
        if "expect_error" in step:
            with pytest.raises(SyncError) as caught:
                handler(step)
            assert caught.value.code == step["expect_error"]
            self.checked.add("expect_error")
        else:
            handler(step)
        # A misspelt expectation must fail, not pass silently.
        unchecked = {k for k in step if k.startswith("expect")} - self.checked
        assert not unchecked, f"expectations never checked: {sorted(unchecked)}"

    def check(self, step: dict[str, Any], got: Any, key: str = "expect") -> None:
        if key in step:
            self.checked.add(key)
            assert got == step[key], f"{key}: got {json.dumps(got)}"

    def op_merge(self, step: dict[str, Any]) -> None:
        self.check(step, sync.merge(self.at(step["at"]).state, step["items"]))

    def op_apply_pass_change(self, step: dict[str, Any]) -> None:
        self.check(step, sync.apply_pass_change(self.at(step["at"]).state, step["change"]))

    def op_apply_scan(self, step: dict[str, Any]) -> None:
        self.check(step, sync.apply_scan(self.at(step["at"]).state, step["scan"]))

    def op_apply_snapshot(self, step: dict[str, Any]) -> None:
        state = self.at(step["at"]).state
        sync.apply_snapshot(state, server_seq=step["server_seq"], passes=step["passes"])

    def op_verdict(self, step: dict[str, Any]) -> None:
        replica = self.at(step["at"])
        recent = step.get("recent", replica.recent)
        got = sync.verdict(
            replica.state,
            token=step["token"],
            device=step.get("device", step["at"]),
            now=step["now"],
            recent=recent,
            list_id=step.get("list", sync.DEFAULT_LIST),
            direction=step.get("direction", sync.IN),
        )
        self.check(step, got)

    def op_door(self, step: dict[str, Any]) -> None:
        device = step["at"]
        replica = self.at(device)
        now = step.get("now")
        if now is None:
            now = sync.corrected_now(step["device_now"], replica.offset)
        recent = step.get("recent", replica.recent)
        list_id = step.get("list", sync.DEFAULT_LIST)
        direction = step.get("direction", sync.IN)
        shown = sync.verdict(
            replica.state,
            token=step["token"],
            device=device,
            now=now,
            recent=recent,
            list_id=list_id,
            direction=direction,
        )
        self.check(step, shown)
        self.check(step, sync.message(shown), "expect_message")
        if shown["code"] == "ignored":
            assert "expect_scan" not in step
            return
        scan = sync.new_scan(
            replica.state,
            device=device,
            verdict=shown,
            door=step["door"],
            scanned_at=now,
            admitted=True if step.get("admit_anyway") else None,
            list_id=list_id,
            direction=direction,
            source=step.get("source"),
        )
        self.check(step, scan, "expect_scan")
        assert sync.apply_scan(replica.state, scan)
        replica.outbox.append(scan)
        key = sync.scan_key(step["token"])
        if key is not None:
            replica.recent = {"device": device, "key": key, "at": now}

    def op_push(self, step: dict[str, Any]) -> None:
        device, server = self.at(step["from"]), self.at(step["to"])
        scans = step.get("scans", device.outbox)
        held = sync.held_high(server.state, step["from"])
        error = sync.validate_push(device=step["from"], held_high=held, scans=scans)
        if error is not None:
            self.check(step, {"error": error})
            return
        sync.merge(server.state, scans)
        acked = sync.held_high(server.state, step["from"])
        self.check(step, {"acked": acked})
        if not step.get("lose_ack"):
            device.outbox = cast(list[Scan], sync.ack_outbox(device.outbox, acked))

    def op_pull(self, step: dict[str, Any]) -> None:
        server, device = self.at(step["from"]), self.at(step["to"])
        page = sync.changes_since(
            server.state,
            device.state["vector"],
            for_device=step.get("for_device", step["to"]),
            limit=step.get("limit"),
            lists_after=sync.lists_high(device.state) if step.get("lists") else None,
        )
        self.check(step, page)
        stored = sync.merge(device.state, [*page["changes"], *page["scans"]])
        self.check(step, stored, "expect_stored")
        if "lists" in page:
            self.check(step, sync.merge_lists(device.state, page["lists"]), "expect_lists_stored")

    def op_changes_since(self, step: dict[str, Any]) -> None:
        page = sync.changes_since(
            self.at(step["at"]).state,
            step["vector"],
            for_device=step.get("for_device"),
            limit=step.get("limit"),
            lists_after=step.get("lists_after"),
        )
        self.check(step, page)

    def op_apply_list(self, step: dict[str, Any]) -> None:
        self.check(step, sync.apply_list(self.at(step["at"]).state, step["list"]))

    def op_merge_lists(self, step: dict[str, Any]) -> None:
        self.check(step, sync.merge_lists(self.at(step["at"]).state, step["lists"]))

    def op_lists_high(self, step: dict[str, Any]) -> None:
        self.check(step, sync.lists_high(self.at(step["at"]).state))

    def op_door_list(self, step: dict[str, Any]) -> None:
        state = self.at(step["at"]).state
        self.check(step, sync.door_list(state, step.get("list", sync.DEFAULT_LIST)))

    def op_validate_push(self, step: dict[str, Any]) -> None:
        got = sync.validate_push(
            device=step["device"], held_high=step["held_high"], scans=step["scans"]
        )
        self.check(step, got)

    def op_ack_outbox(self, step: dict[str, Any]) -> None:
        self.check(step, sync.ack_outbox(step["outbox"], step["acked_seq"]))

    def op_outbox(self, step: dict[str, Any]) -> None:
        self.check(step, [scan["seq"] for scan in self.at(step["at"]).outbox])

    def op_check(self, step: dict[str, Any]) -> None:
        state = self.at(step["at"]).state
        self.check(step, state["vector"], "expect_vector")
        self.check(step, state["passes"], "expect_passes")
        self.check(step, state, "expect_state")

    def op_same_state(self, step: dict[str, Any]) -> None:
        first, *others = (self.at(name).state for name in step["replicas"])
        for other in others:
            assert other == first
            assert sync.conflicts(other) == sync.conflicts(first)

    def op_conflicts(self, step: dict[str, Any]) -> None:
        self.check(step, sync.conflicts(self.at(step["at"]).state))

    def op_classify(self, step: dict[str, Any]) -> None:
        self.check(step, sync.classify(self.at(step["at"]).state, step["pass_id"]))

    def op_canonical_first(self, step: dict[str, Any]) -> None:
        state = self.at(step["at"]).state
        list_id = step.get("list", sync.DEFAULT_LIST)
        self.check(step, sync.canonical_first(state, step["pass_id"], list_id=list_id))

    def op_also_admitted(self, step: dict[str, Any]) -> None:
        state = self.at(step["at"]).state
        self.check(step, sync.also_admitted(state, step["pass_id"], device=step["device"]))

    def op_movements(self, step: dict[str, Any]) -> None:
        state = self.at(step["at"]).state
        list_id = step.get("list", sync.DEFAULT_LIST)
        self.check(step, sync.movements(state, step["pass_id"], list_id=list_id))

    def op_is_inside(self, step: dict[str, Any]) -> None:
        state = self.at(step["at"]).state
        list_id = step.get("list", sync.DEFAULT_LIST)
        self.check(step, sync.is_inside(state, step["pass_id"], list_id=list_id))

    def op_inside_counts(self, step: dict[str, Any]) -> None:
        self.check(step, sync.inside_counts(self.at(step["at"]).state))

    def op_message(self, step: dict[str, Any]) -> None:
        self.check(step, sync.message(cast(Verdict, step["verdict"])))

    def op_clock(self, step: dict[str, Any]) -> None:
        offset = sync.clock_offset(
            server_time=step["server_time"],
            sent_at=step["sent_at"],
            received_at=step["received_at"],
        )
        self.check(step, offset)
        self.at(step["at"]).offset = offset

    def op_corrected_now(self, step: dict[str, Any]) -> None:
        self.check(step, sync.corrected_now(step["device_now"], step["offset"]))

    def op_contiguous_high(self, step: dict[str, Any]) -> None:
        self.check(step, sync.contiguous_high(step["held"], step.get("start", 0)))

    def op_covers(self, step: dict[str, Any]) -> None:
        self.check(step, sync.covers(step["vector"], step["origin"], step["seq"]))

    def op_merge_vectors(self, step: dict[str, Any]) -> None:
        self.check(step, sync.merge_vectors(step["a"], step["b"]))

    def op_scan_key(self, step: dict[str, Any]) -> None:
        self.check(step, sync.scan_key(step["token"]))


def test_there_are_enough_golden_cases_with_unique_names() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) >= 30
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_golden_case(case: dict[str, Any]) -> None:
    run = Run(case)
    for index, step in enumerate(case["steps"]):
        try:
            run.step(step)
        except AssertionError as error:
            raise AssertionError(f"{case['file']}: step {index} ({step['op']}): {error}") from error


# The golden cases pin the rules by example; this pins the two implementations to each other on
# a few hundred generated histories, including malformed pushes and odd debounce timings.

T0 = 1_750_000_000_000
MIRROR = Path(sync.__file__).parent.parent / "pwa" / "lib" / "sync-core.js"

NODE_SCRIPT = """
import { readFileSync } from 'node:fs';
const core = await import(process.argv[1]);
const inputs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = inputs.map((input) => {
  const state = core.newState();
  for (const batch of input.batches) core.merge(state, batch);
  for (const batch of input.list_batches) core.mergeLists(state, batch);
  const { vector, for_device: forDevice, limit, lists_after: listsAfter } = input.pull;
  const verdicts = input.verdicts.map((v) => core.verdict(state, {
    token: v.token, device: v.device, now: v.now, recent: v.recent, listId: v.list_id,
    direction: v.direction }));
  return {
    state,
    conflicts: core.conflicts(state),
    also: core.alsoAdmitted(state, 'P1', { device: 'gate-a' }),
    firsts: input.list_ids.map((listId) => core.canonicalFirst(state, 'P1', { listId })),
    moves: ['P1', 'P2', 'P3'].flatMap((passId) => input.list_ids.map((listId) =>
      core.movements(state, passId, { listId }))),
    inside: ['P1', 'P2', 'P3'].flatMap((passId) => input.list_ids.map((listId) =>
      core.isInside(state, passId, { listId }))),
    counts: core.insideCounts(state),
    rules: input.list_ids.map((listId) => core.doorList(state, listId)),
    lists_high: core.listsHigh(state),
    page: core.changesSince(state, vector, { forDevice, limit, listsAfter }),
    verdicts,
    messages: verdicts.map((v) => core.message(v)),
    scans: verdicts.flatMap((v, i) => v.code === 'ignored' ? [] : [
      core.newScan(state, { device: 'gate-a', verdict: v, door: 'North', scannedAt: 7,
                            listId: input.verdicts[i].list_id,
                            direction: input.verdicts[i].direction })]),
    push: core.validatePush({ device: input.push.device, heldHigh: input.push.held_high,
                              scans: input.push.scans }),
    ack: core.ackOutbox(input.ack.outbox, input.ack.acked_seq),
  };
});
process.stdout.write(JSON.stringify(out));
"""


LIST_IDS = ["default", "vip", "bar"]


def generated_list(rng: random.Random) -> dict[str, Any]:
    """A door list record: tiers, a window around the generated scan times, re-entry."""
    record: dict[str, Any] = {
        "list_id": rng.choice(LIST_IDS),
        "seq": rng.randint(1, 5),
        "name": rng.choice(["VIP deck", "Bar", "Main"]),
    }
    if rng.random() < 0.8:
        record["tiers"] = rng.choice([None, ["VIP"], ["GA", "VIP"], []])
    if rng.random() < 0.6:
        record["from"] = rng.choice([None, T0 + 1000, T0 + 3000])
    if rng.random() < 0.6:
        record["until"] = rng.choice([None, T0 + 2000, T0 + 4500])
    if rng.random() < 0.6:
        record["reentry"] = rng.choice([True, False])
    return record


def generated_input(rng: random.Random) -> dict[str, Any]:
    changes = rng.randint(0, 6)
    records: list[dict[str, Any]] = []
    for seq in range(1, changes + 1):
        status = rng.choice(["valid", "void", "void", "suspended"])
        records.append(
            {
                "origin": "server",
                "seq": seq,
                "pass_id": rng.choice(["P1", "P2", "P3"]),
                "status": status,
                "tier": rng.choice(["GA", "VIP", None]),
                "reason": rng.choice(["refunded", "disputed", "cancelled"])
                if status != "valid"
                else None,
            }
        )
    counts = {"gate-a": 0, "gate-b": 0, "\uff21": 0, "\U0001f600": 0}
    for _ in range(rng.randint(0, 12)):
        device = rng.choice(list(counts))
        counts[device] += 1
        vector = {o: rng.randint(0, n) for o, n in counts.items() if o != device}
        vector["server"] = rng.randint(0, changes + 1)
        vector[device] = counts[device] - 1
        way_out = rng.random() < 0.35
        records.append(
            {
                "device": device,
                "seq": counts[device],
                "pass_id": rng.choice(["P1", "P2", "P3", None]),
                "scanned_at": T0 + rng.randint(0, 4) * 1000,
                "verdict": "exit" if way_out else "admit",
                # An exit that admitted (a buggy or future client) is an admission all the same.
                "admitted": rng.random() < (0.1 if way_out else 0.7),
                "door": rng.choice(["North", "South"]),
                "vector": {o: n for o, n in vector.items() if n > 0},
                **({"app_version": "9.9"} if rng.random() < 0.2 else {}),
                **({"list": rng.choice([None, *LIST_IDS])} if rng.random() < 0.5 else {}),
                **({"direction": "out"} if way_out else {}),
                **({"direction": rng.choice([None, "in"])} if rng.random() < 0.1 else {}),
            }
        )
    rng.shuffle(records)
    records += rng.sample(records, k=min(len(records), rng.randint(0, 3)))
    cut = rng.randint(0, len(records))
    tokens = [
        {"ok": True, "pass_id": rng.choice(["P1", "P2", "P3", "P4"]), "event_ok": True},
        {"ok": True, "pass_id": "P1", "event_ok": rng.choice([True, False])},
        {"ok": False, "reason": rng.choice(["invalid", "wrong_event", "other"]), "code": "X"},
        {"ok": False, "reason": "invalid"},
    ]
    lists = [generated_list(rng) for _ in range(rng.randint(0, 4))]
    lists += rng.sample(lists, k=min(len(lists), rng.randint(0, 2)))
    rng.shuffle(lists)
    list_cut = rng.randint(0, len(lists))
    verdicts = []
    for token in tokens:
        now = T0 + rng.randint(0, 5000)
        key = rng.choice(["pass:P1", "pass:P2", "code:X"])
        recent = rng.choice(
            [None, {"device": rng.choice(["gate-a", "gate-b"]), "key": key, "at": now - 1999}]
        )
        if recent is not None:
            recent["at"] = now + rng.choice([-2001, -2000, -1999, 0, 1999, 2000])
        verdicts.append(
            {
                "token": token,
                "device": "gate-a",
                "now": now,
                "recent": recent,
                "list_id": rng.choice(LIST_IDS),
                "direction": rng.choice(["in", "in", "out"]),
            }
        )
    scans = sorted(
        (r for r in records if r.get("device") == "gate-b"), key=lambda r: cast(int, r["seq"])
    )
    batch = [dict(s) for s in {s["seq"]: s for s in scans}.values()][rng.randint(0, 2) :]
    mutation = rng.randint(0, 5)
    if batch and mutation == 1:
        batch[-1]["device"] = "gate-a"
    elif len(batch) > 2 and mutation == 2:
        del batch[1]
    elif batch and mutation == 3:
        batch[0]["seq"] = str(batch[0]["seq"])
    elif batch and mutation == 4:
        del batch[-1]["door"]
    return {
        "batches": [records[:cut], records[cut:]],
        "list_batches": [lists[:list_cut], lists[list_cut:]],
        "list_ids": LIST_IDS,
        "pull": {
            "vector": {o: rng.randint(0, 3) for o in ("server", "gate-a", "\uff21")},
            "for_device": rng.choice([None, "gate-b"]),
            "limit": rng.choice([None, 1, 3]),
            "lists_after": rng.choice([None, 0, 2]),
        },
        "verdicts": verdicts,
        "push": {"device": "gate-b", "held_high": rng.randint(0, 4), "scans": batch},
        "ack": {"outbox": batch if mutation != 3 else [], "acked_seq": rng.randint(0, 4)},
    }


def python_output(case: dict[str, Any]) -> dict[str, Any]:
    state = sync.new_state()
    for batch in case["batches"]:
        sync.merge(state, batch)
    for batch in case["list_batches"]:
        sync.merge_lists(state, batch)
    pull = case["pull"]
    pairs = [(p, i) for p in ("P1", "P2", "P3") for i in case["list_ids"]]
    verdicts = [sync.verdict(state, **v) for v in case["verdicts"]]
    return {
        "state": state,
        "conflicts": sync.conflicts(state),
        "also": sync.also_admitted(state, "P1", device="gate-a"),
        "firsts": [sync.canonical_first(state, "P1", list_id=i) for i in case["list_ids"]],
        "moves": [sync.movements(state, p, list_id=i) for p, i in pairs],
        "inside": [sync.is_inside(state, p, list_id=i) for p, i in pairs],
        "counts": sync.inside_counts(state),
        "rules": [sync.door_list(state, i) for i in case["list_ids"]],
        "lists_high": sync.lists_high(state),
        "page": sync.changes_since(
            state,
            pull["vector"],
            for_device=pull["for_device"],
            limit=pull["limit"],
            lists_after=pull["lists_after"],
        ),
        "verdicts": verdicts,
        "messages": [sync.message(v) for v in verdicts],
        "scans": [
            sync.new_scan(
                state,
                device="gate-a",
                verdict=v,
                door="North",
                scanned_at=7,
                list_id=spec["list_id"],
                direction=spec["direction"],
            )
            for v, spec in zip(verdicts, case["verdicts"], strict=True)
            if v["code"] != "ignored"
        ],
        "push": sync.validate_push(**case["push"]),
        "ack": sync.ack_outbox(case["ack"]["outbox"], case["ack"]["acked_seq"]),
    }


def _reentered(moves: list[sync.MovementRef]) -> bool:
    """True when an admission follows an exit: a stay after the first."""
    ways = [m["direction"] for m in moves]
    return any(a == "out" and b == "in" for a, b in itertools.pairwise(ways))


def test_javascript_mirror_agrees_with_python_on_generated_histories(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to check the JavaScript mirror: install Node.js (see README)")
    rng = random.Random(20250615)
    inputs = [generated_input(rng) for _ in range(400)]
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps(inputs), encoding="utf-8")
    done = subprocess.run(
        [node, "--input-type=module", "-e", NODE_SCRIPT, MIRROR.as_uri(), str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    from_js = json.loads(done.stdout)
    assert len(from_js) == len(inputs)
    codes = set()
    shapes = set()
    for index, (case, js) in enumerate(zip(inputs, from_js, strict=True)):
        py = json.loads(json.dumps(python_output(case)))
        for key in py:
            assert js[key] == py[key], f"input {index}: {key} differs"
        codes |= {v["code"] for v in py["verdicts"]}
        codes.add(py["push"]["code"] if py["push"] else "pushed")
        kinds = {c["kind"] + ("@list" if "list" in c else "") for c in py["conflicts"]}
        shapes |= kinds | {"re-entry" for m in py["moves"] if _reentered(m)}
        shapes |= {"inside" for flag in py["inside"] if flag} | {"counted" for _ in py["counts"]}
    # Exits and lists must shape the histories: re-entries, stays ended by exits, conflicts and
    # overrides on the default list and on others, passes inside.
    assert shapes >= {
        "re-entry", "inside", "counted", "conflict", "override", "conflict@list", "override@list"
    }  # fmt: skip
    # The generator must reach every verdict and every push outcome, or the check proves little.
    assert codes >= {
        "admit", "already_scanned", "void", "invalid", "wrong_event", "not_in_cache", "ignored",
        "wrong_list", "not_yet", "closed", "tier_unknown", "exit", "not_inside",
        "bad_type", "wrong_device", "bad_seq", "seq_gap", "pushed",
    }  # fmt: skip
