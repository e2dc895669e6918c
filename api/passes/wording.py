"""What a void pass says, by its stable void reason (`refunded`, `disputed`, …).

One table, `void_wording.json`, read here for the passes page, the email and the wallet lookup,
and mirrored for the browser by `pwa/lib/void-wording.js` (the door verdict and the wallet), the
way `sync/vectors/` hold the Python and JS sync rules equal: `tests/js/void-wording.test.mjs`
fails if the JS table and this file differ. `buyer` is the badge on a buyer's void pass; `door`
is what door staff read on a red verdict. A reason the table does not name gets `other`.

One table per language: `void_wording.json` is English, `void_wording.<language>.json` the others
(the same files `pwa/lib/void-wording.js` mirrors); a language without a table reads English.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from api.i18n.context import DEFAULT, current, supported

TABLE = Path(__file__).with_name("void_wording.json")


def table_path(language: str) -> Path:
    """The wording file of `language` (English: `void_wording.json`)."""
    return TABLE if language == DEFAULT else TABLE.with_name(f"void_wording.{language}.json")


@dataclass(frozen=True, slots=True)
class VoidWording:
    buyer: str
    door: str


@cache
def _table(language: str) -> tuple[dict[str, VoidWording], VoidWording]:
    path = table_path(language)
    data = json.loads((path if path.exists() else TABLE).read_text(encoding="utf-8"))
    reasons = {code: VoidWording(**words) for code, words in data["reasons"].items()}
    return reasons, VoidWording(**data["other"])


def void_wording(reason: str | None, language: str | None = None) -> VoidWording:
    """The words for a void pass with this void reason, in `language` (default: the current
    one, `api.i18n.context`)."""
    reasons, other = _table(supported(language) or current())
    return reasons.get(reason or "", other)
