"""Scanner verdicts: the one rule for what the door shows, on the device and on the server.

`verdict` takes the replica, the outcome of signature verification (done elsewhere, with the
event's public keys), the device, the corrected time and the device's last shown verdict, and
answers with a stable reason code, checked in this order:

    1. ignored          same pass (or same raw code) on the same device within 2000 ms
    2. invalid          bad signature or unknown format
    3. wrong_event      validly signed for another event
    4. void             the pass's latest status is not "valid" (refunded, disputed, ...)
    5. already_scanned  this replica holds an admission of the pass (time and door of the first)
    6. not_in_cache     validly signed, but no pass change for it has reached this replica
    7. admit            valid pass, first admission

A void pass stays red even if it was admitted earlier: the admission stands, later scans are red.
A pass missing from the cache but already admitted here is amber, not green again.

`new_scan` turns a verdict into the scan record the device stores and uploads, with the next seq
and the device's vector at scan time. An `ignored` verdict records nothing. Human words live in
`sync.messages`, apart from the codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.conflicts import canonical_first
from sync.wire import Recent, Scan, State, Verdict, is_int

DEBOUNCE_MS = 2000
"""A repeat within this many milliseconds of the last shown verdict is ignored."""

GREEN_CODES = ("admit", "not_in_cache")
"""Verdicts that let the person in unless the door decides otherwise."""


def scan_key(token: Mapping[str, Any]) -> str | None:
    """What debounce compares: the pass id if the token named one, else the raw code text."""
    pass_id = token.get("pass_id")
    if token.get("ok") is True and isinstance(pass_id, str) and pass_id:
        return "pass:" + pass_id
    code = token.get("code")
    if isinstance(code, str) and code:
        return "code:" + code
    return None


def _verdict(code: str, pass_id: str | None = None, **facts: Any) -> Verdict:
    return {
        "code": code,
        "pass_id": pass_id,
        "tier": facts.get("tier"),
        "reason": facts.get("reason"),
        "at": facts.get("at"),
        "door": facts.get("door"),
    }


def is_repeat(recent: Recent | None, *, key: str | None, device: str, now: int) -> bool:
    """True when the same key was last shown on this device less than 2000 ms ago.

    The distance is absolute: if the corrected clock stepped back after a resync, a repeat is
    still a repeat rather than a fresh amber verdict for the person standing at the door.
    """
    if recent is None or key is None:
        return False
    return (
        recent["device"] == device
        and recent["key"] == key
        and abs(now - recent["at"]) < DEBOUNCE_MS
    )


def verdict(
    state: State,
    *,
    token: Mapping[str, Any],
    device: str,
    now: int,
    recent: Recent | None,
) -> Verdict:
    """Decide what the door shows for one scanned code (see the module docstring)."""
    key = scan_key(token)
    pass_id = token.get("pass_id") if token.get("ok") is True else None
    if is_repeat(recent, key=key, device=device, now=now):
        return _verdict("ignored", pass_id if isinstance(pass_id, str) else None)
    if token.get("ok") is not True:
        reason = "wrong_event" if token.get("reason") == "wrong_event" else "invalid"
        return _verdict(reason)
    if not isinstance(pass_id, str) or not pass_id:
        return _verdict("invalid")
    if token.get("event_ok") is False:
        return _verdict("wrong_event", pass_id)
    status = state["passes"].get(pass_id)
    tier = None if status is None else status["tier"]
    if status is not None and status["status"] != "valid":
        # Fail closed: a status this replica does not know is treated as void.
        return _verdict("void", pass_id, tier=tier, reason=status["reason"])
    first = canonical_first(state, pass_id)
    if first is not None:
        return _verdict(
            "already_scanned", pass_id, tier=tier, at=first["scanned_at"], door=first["door"]
        )
    if status is None:
        return _verdict("not_in_cache", pass_id)
    return _verdict("admit", pass_id, tier=tier)


def new_scan(
    state: State,
    *,
    device: str,
    verdict: Verdict,
    door: str,
    scanned_at: int,
    admitted: bool | None = None,
) -> Scan:
    """The scan record for a shown verdict; store it with `apply_scan` and queue it for push.

    `admitted` defaults to the verdict's colour (admit, not_in_cache); pass True when door
    staff let the person in anyway after an amber verdict.
    """
    if verdict["code"] == "ignored":
        raise ValueError("an ignored verdict records no scan")
    if not is_int(scanned_at):
        raise ValueError("'scanned_at' must be an integer")
    held = state["scans"].get(device, {})
    seq = max((int(k) for k in held), default=0) + 1
    vector = {origin: n for origin, n in state["vector"].items() if origin != device}
    if seq > 1:
        vector[device] = seq - 1
    return {
        "device": device,
        "seq": seq,
        "pass_id": verdict["pass_id"],
        "scanned_at": scanned_at,
        "verdict": verdict["code"],
        "admitted": verdict["code"] in GREEN_CODES if admitted is None else admitted,
        "door": door,
        "vector": dict(sorted(vector.items())),
    }
