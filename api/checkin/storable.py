"""Scans that are well formed (PROTOCOL.md section 6) but that this server cannot store as sent.

The protocol lets any string and any integer time through; PostgreSQL and Python do not: the
verdict column holds 20 characters, text and jsonb refuse a NUL character, and a datetime ends
with the year 9999. Such a scan used to fail the whole push (a 400 or a 500) on every retry, so
the phone holding it never uploaded anything again. Now the push stores the rest of the batch and
keeps, under the refused scan's dot, a placeholder (`placeholder`): the device's seq stays
gap-free on the server and on every other door that pulls it, `acked` moves past it, and the
answer names the refused seqs with a reason the door shows ("1 scan could not be stored: …").

The placeholder records no admission: `pass_id` null, `admitted` false, verdict `refused`, the
server's receipt time as `scanned_at`, and the reason in an extra field `refused`. A real door
app never writes such a scan: only a broken or hostile client does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

MAX_VERDICT = 20
"""The scan.verdict column's width (api.db.checkin.Scan)."""
LATEST_MILLIS = int(datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC).timestamp() * 1000)
REFUSED_VERDICT = "refused"

# Stable codes, with the words the door shows after "N scans could not be stored: ".
REASONS = {
    "nul_character": "a text in it contains a NUL character",
    "verdict_too_long": f"its verdict is longer than {MAX_VERDICT} characters",
    "time_out_of_range": "its scan time is after the year 9999",
}


def _has_nul(value: Any) -> bool:
    """True when any string in `value` (keys included, at any depth) holds U+0000."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def problem(scan: Mapping[str, Any]) -> str | None:
    """The code of what keeps a well-formed scan out of the database, or None."""
    if _has_nul(scan):
        return "nul_character"
    if len(scan["verdict"]) > MAX_VERDICT:
        return "verdict_too_long"
    if scan["scanned_at"] > LATEST_MILLIS:
        return "time_out_of_range"
    return None


def placeholder(scan: Mapping[str, Any], *, code: str, received_at: int) -> dict[str, Any]:
    """What is stored under a refused scan's dot: the dot, and why."""
    return {
        "device": scan["device"],
        "seq": scan["seq"],
        "pass_id": None,
        "scanned_at": received_at,
        "verdict": REFUSED_VERDICT,
        "admitted": False,
        "door": "",
        "vector": {},
        "refused": code,
    }
