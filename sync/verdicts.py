"""Scanner verdicts: the one rule for what the door shows, on the device and on the server.

`verdict` takes the replica, the outcome of signature verification (done elsewhere, with the
event's public keys), the device, the corrected time, the device's last shown verdict and the
door list the device is bound to, and answers with a stable reason code, checked in this order:

    1. ignored          same pass (or same raw code) on the same device within 2000 ms
    2. invalid          bad signature or unknown format
    3. wrong_event      validly signed for another event
    4. void             the pass's latest status is not "valid" (refunded, disputed, ...)
    5. wrong_list       the door's list does not admit the pass's tier ("Wrong door")
    6. not_yet          the list's window has not opened
    7. closed           the list's window has closed
    8. already_scanned  the pass is inside on this list, or went in and the list has no re-entry
    9. tier_unknown     the list admits some tiers only, and the pass's tier is not cached
   10. not_in_cache     validly signed, but no pass change for it has reached this replica
   11. admit            valid pass, not inside (first admission, or re-entry after an exit)

A door scanning out (`direction="out"`) checks 1-3, then:

    4. not_inside       the pass is not inside on this list (never went in, or went out last)
    5. exit             the pass is inside: it goes out

Exits ignore the pass's status, the list's tiers and its window: nobody is held in, and the exit
is recorded whatever was shown (`sync.movements`), so "inside" stays right.

A void pass stays red even if it was admitted earlier: the admission stands, later scans are red.
A pass missing from the cache but already admitted here is amber, not green again. Red (the pass
itself is no good) comes before the list's amber verdicts (the pass is good, not here or not
now); a guest at the wrong door is told so before being told to wait for it to open.

`new_scan` turns a verdict into the scan record the device stores and uploads, with the next seq
and the device's vector at scan time. An `ignored` verdict records nothing. Human words live in
`sync.messages`, apart from the codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.lists import door_list
from sync.movements import is_exit, movements_by_list, stays
from sync.wire import DEFAULT_LIST, IN, OUT, Recent, Scan, State, Verdict, is_int

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
    shown: Verdict = {
        "code": code,
        "pass_id": pass_id,
        "tier": facts.get("tier"),
        "reason": facts.get("reason"),
        "at": facts.get("at"),
        "door": facts.get("door"),
    }
    if "list_name" in facts:
        shown["list_name"] = facts["list_name"]
    return shown


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
    list_id: str = DEFAULT_LIST,
    direction: str = IN,
) -> Verdict:
    """Decide what the door shows for one scanned code (see the module docstring).

    `list_id` is the door list the device is bound to; list verdicts carry its `list_name`.
    `direction` is "in", or "out" on a door scanning people out.
    """
    if direction not in (IN, OUT):
        raise ValueError('\'direction\' must be "in" or "out"')
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
    moves = movements_by_list(state, pass_id).get(list_id, [])
    if direction == OUT:
        return _way_out(pass_id, tier, moves)
    if status is not None and status["status"] != "valid":
        # Fail closed: a status this replica does not know is treated as void.
        return _verdict("void", pass_id, tier=tier, reason=status["reason"])
    rules = door_list(state, list_id)
    name, tiers = rules["name"], rules["tiers"]
    if tiers is not None and tier is not None and tier not in tiers:
        return _verdict("wrong_list", pass_id, tier=tier, list_name=name)
    opens, closes = rules["from"], rules["until"]
    if opens is not None and now < opens:
        return _verdict("not_yet", pass_id, tier=tier, at=opens, list_name=name)
    if closes is not None and now >= closes:
        return _verdict("closed", pass_id, tier=tier, at=closes, list_name=name)
    went_in = stays(moves)
    if went_in and (not is_exit(moves[-1]) or not rules["reentry"]):
        # Inside now, or out on a list without re-entry: when the (latest) stay began.
        first = went_in[-1][0]
        return _verdict(
            "already_scanned", pass_id, tier=tier, at=first["scanned_at"], door=first["door"]
        )
    if tiers is not None and tier is None:
        # Sold after the last sync (or cached without a tier): the signature proves the pass,
        # not its tier, so a door that admits some tiers only lets its staff check the ticket.
        return _verdict("tier_unknown", pass_id, list_name=name)
    if status is None:
        return _verdict("not_in_cache", pass_id)
    return _verdict("admit", pass_id, tier=tier)


def _way_out(pass_id: str, tier: str | None, moves: list[Scan]) -> Verdict:
    if moves and not is_exit(moves[-1]):
        came_in = stays(moves)[-1][0]
        return _verdict("exit", pass_id, tier=tier, at=came_in["scanned_at"], door=came_in["door"])
    went_out = next((move for move in reversed(moves) if is_exit(move)), None)
    if went_out is None:
        return _verdict("not_inside", pass_id, tier=tier)
    return _verdict(
        "not_inside", pass_id, tier=tier, at=went_out["scanned_at"], door=went_out["door"]
    )


def new_scan(
    state: State,
    *,
    device: str,
    verdict: Verdict,
    door: str,
    scanned_at: int,
    admitted: bool | None = None,
    list_id: str = DEFAULT_LIST,
    direction: str = IN,
    source: str | None = None,
) -> Scan:
    """The scan record for a shown verdict; store it with `apply_scan` and queue it for push.

    `admitted` defaults to the verdict's colour (admit, not_in_cache); pass True when door
    staff let the person in anyway after an amber verdict. `list_id` is the door list the
    device is bound to, written as `list` unless it is the default list; `direction` is
    written only when it is "out", and such a scan is never an admission. `source` says how the
    pass was found when it was not a scanned code ("search": by name on the phone), written
    only when given.
    """
    if verdict["code"] == "ignored":
        raise ValueError("an ignored verdict records no scan")
    if not is_int(scanned_at):
        raise ValueError("'scanned_at' must be an integer")
    if not isinstance(list_id, str) or list_id == "":
        raise ValueError("'list_id' must be a non-empty string")
    if direction not in (IN, OUT):
        raise ValueError('\'direction\' must be "in" or "out"')
    if direction == OUT and admitted:
        raise ValueError("a scan on the way out admits nobody")
    if source is not None and (not isinstance(source, str) or source == ""):
        raise ValueError("'source' must be a non-empty string or None")
    held = state["scans"].get(device, {})
    seq = max((int(k) for k in held), default=0) + 1
    vector = {origin: n for origin, n in state["vector"].items() if origin != device}
    if seq > 1:
        vector[device] = seq - 1
    scan: Scan = {
        "device": device,
        "seq": seq,
        "pass_id": verdict["pass_id"],
        "scanned_at": scanned_at,
        "verdict": verdict["code"],
        "admitted": verdict["code"] in GREEN_CODES if admitted is None else admitted,
        "door": door,
        "vector": dict(sorted(vector.items())),
    }
    if list_id != DEFAULT_LIST:
        scan["list"] = list_id
    if direction == OUT:
        scan["direction"] = OUT
    if source is not None:
        scan["source"] = source
    return scan
