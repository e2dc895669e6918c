"""What a void pass says, by its stable void reason (`refunded`, `disputed`, …).

One table, `void_wording.json`, read here for the passes page, the email and the wallet lookup,
and mirrored for the browser by `pwa/lib/void-wording.js` (the door verdict and the wallet), the
way `sync/vectors/` hold the Python and JS sync rules equal: `tests/js/void-wording.test.mjs`
fails if the JS table and this file differ. `buyer` is the badge on a buyer's void pass; `door`
is what door staff read on a red verdict. A reason the table does not name gets `other`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("void_wording.json")


@dataclass(frozen=True, slots=True)
class VoidWording:
    buyer: str
    door: str


@cache
def _table() -> tuple[dict[str, VoidWording], VoidWording]:
    data = json.loads(TABLE.read_text(encoding="utf-8"))
    reasons = {code: VoidWording(**words) for code, words in data["reasons"].items()}
    return reasons, VoidWording(**data["other"])


def void_wording(reason: str | None) -> VoidWording:
    """The words for a void pass with this void reason."""
    reasons, other = _table()
    return reasons.get(reason or "", other)
