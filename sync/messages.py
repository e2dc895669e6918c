"""Human words for verdicts, kept apart from the reason codes so they can be translated.

`message(verdict)` answers `{code, color, title, detail, at, door}`. Times stay integers (`at`,
milliseconds UTC): the UI formats them in the event's time zone and locale ("Already scanned
7:34 PM"), so this module never needs a clock or a zone database and reads the same in Python
and JavaScript. `color` is "green", "amber", "red", or null for `ignored` (show nothing).

Titles that end on a time leave the time to the UI, which appends `at` in the event's zone:
"Already scanned" + " 7:34 PM", "Not yet — opens" + " 7:00 PM", "Too late — closed" + " 11:00 PM".
"""

from __future__ import annotations

from typing import TypedDict

from sync.wire import Verdict


class Message(TypedDict):
    """What the door screen shows for a verdict."""

    code: str
    color: str | None
    title: str
    detail: str | None
    at: int | None
    door: str | None


VOID_TITLES = {
    "refunded": "Refunded — do not admit",
    "disputed": "Disputed — do not admit",
    "cancelled": "Cancelled — do not admit",
}


def _list_name(verdict: Verdict) -> str:
    return verdict.get("list_name") or "this list"


def _words(verdict: Verdict) -> tuple[str | None, str, str | None]:
    code = verdict["code"]
    if code == "admit":
        return "green", "Admit", verdict["tier"]
    if code == "not_in_cache":
        return (
            "green",
            "Valid — not yet in cache",
            "Validly signed; sold after this scanner's last sync",
        )
    if code == "already_scanned":
        door = verdict["door"]
        return "amber", "Already scanned", None if not door else f"First admitted at {door}"
    if code == "wrong_list":
        return "amber", f"Wrong door — {_list_name(verdict)} only", verdict["tier"]
    if code == "not_yet":
        return "amber", "Not yet — opens", verdict.get("list_name")
    if code == "closed":
        return "amber", "Too late — closed", verdict.get("list_name")
    if code == "tier_unknown":
        return (
            "amber",
            f"Check the ticket — {_list_name(verdict)} only",
            "Validly signed; sold after this scanner's last sync",
        )
    if code == "exit":
        return "green", "Exit", verdict["tier"]
    if code == "not_inside":
        door = verdict["door"]
        return "amber", "Not inside", None if not door else f"Went out at {door}"
    if code == "void":
        reason = verdict["reason"]
        title = VOID_TITLES.get(reason or "", "Void — do not admit")
        return "red", title, None
    if code == "invalid":
        return "red", "Invalid pass", "Signature or format not recognised"
    if code == "wrong_event":
        return "red", "Wrong event", "This pass is for another event"
    if code == "ignored":
        return None, "", None
    return "red", "Do not admit", f"Unknown verdict {code}"


def message(verdict: Verdict) -> Message:
    """English words for a verdict; `at` and `door` are passed through for the UI to format."""
    color, title, detail = _words(verdict)
    return {
        "code": verdict["code"],
        "color": color,
        "title": title,
        "detail": detail,
        "at": verdict["at"],
        "door": verdict["door"],
    }
