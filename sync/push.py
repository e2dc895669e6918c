"""Push and acknowledgement: how a device's scans reach the server exactly once.

The device keeps an outbox of its own scans not yet acknowledged, in seq order. A push sends the
outbox (or its head); the server checks the batch with `validate_push`, stores each scan with
`ON CONFLICT (device, seq) DO NOTHING`, and answers the highest gap-free seq it now holds for
that device. The device drops its outbox up to that seq with `ack_outbox`.

Every failure is harmless to retry. A device that crashed after the server stored its scans but
before it read the answer simply pushes them again: already-held seqs are accepted and ignored,
and the answer is the same. What the server refuses is a batch that cannot be stored without
a hole or a lie: scans of another device (`wrong_device`), seqs that are not one run of
consecutive integers (`bad_seq`), a run that starts beyond held + 1 (`seq_gap`, the message names
the expected seq) and malformed records (`bad_type`). A refused batch stores nothing. The verdict
inside a scan is never a reason to refuse it: an offline admission is a fact, the person is in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sync.wire import PushError, is_int, scan_problem


def _error(code: str, message: str, expected: int | None = None) -> PushError:
    return {"code": code, "message": message, "expected": expected}


def validate_push(*, device: str, held_high: int, scans: object) -> PushError | None:
    """Check a pushed batch against what the server holds; None means store it all.

    Checks run in a fixed order (types, device, seq run, gap) so both implementations name the
    same first problem.
    """
    if not is_int(held_high) or held_high < 0:
        raise ValueError("'held_high' must be an integer >= 0")
    if not isinstance(scans, list):
        return _error("bad_type", "scans must be a list")
    for index, scan in enumerate(scans):
        problem = scan_problem(scan)
        if problem is not None:
            return _error("bad_type", f"scan {index}: {problem}")
    for index, scan in enumerate(scans):
        if scan["device"] != device:
            return _error(
                "wrong_device", f'scan {index}: device "{scan["device"]}" is not "{device}"'
            )
    for index in range(1, len(scans)):
        expected = scans[index - 1]["seq"] + 1
        got = scans[index]["seq"]
        if got != expected:
            return _error("bad_seq", f"scan {index}: expected seq {expected}, got {got}", expected)
    if scans and scans[0]["seq"] > held_high + 1:
        expected = held_high + 1
        got = scans[0]["seq"]
        return _error("seq_gap", f"scan 0: expected seq {expected} or lower, got {got}", expected)
    return None


def ack_outbox(outbox: Sequence[Mapping[str, Any]], acked_seq: int) -> list[Mapping[str, Any]]:
    """The outbox after the server acknowledged every seq up to `acked_seq`, order kept."""
    return [scan for scan in outbox if not (is_int(scan.get("seq")) and scan["seq"] <= acked_seq)]
