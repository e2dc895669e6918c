"""JSON request bodies are refused when nested deeper than any of our wire shapes needs.

msgspec (like `json`) decodes recursively: `[[[[…]]]]` 100,000 deep raised RecursionError inside
Litestar's body parsing, a 500 on every JSON endpoint, the unauthenticated scanner pairing
included. Even under the interpreter's limit, a deep document goes on to recurse in
`json.dumps` and PostgreSQL's jsonb. So every JSON body is measured before it is decoded, and
one nested more than MAX_DEPTH levels is a 400 that says so. Our deepest shape is a push: object,
list of scans, scan, vector, 4; an unknown field a newer phone adds may nest a little more.

The measure is linear and cheap: bodies with at most MAX_DEPTH brackets are let through without
a scan, and the scan jumps from bracket to bracket and across strings with C-level searches.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

MAX_DEPTH = 32
TOO_DEEP = f"The JSON body is too deeply nested (more than {MAX_DEPTH} levels); nothing was read."

_TOKEN = re.compile(rb'["\[\]{}]')
_BACKSLASH = 0x5C
_QUOTE = 0x22


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """True when some array or object in `body` (JSON text) lies more than `limit` levels
    deep. Brackets inside strings do not count; malformed JSON is left to the decoder."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    position = 0
    while (found := _TOKEN.search(body, position)) is not None:
        char = body[found.start()]
        if char == _QUOTE:
            end = _string_end(body, found.start() + 1)
            if end < 0:
                return False  # an unterminated string: the decoder refuses it
            position = end + 1
            continue
        position = found.end()
        if char in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _string_end(body: bytes, start: int) -> int:
    """Index of the quote closing the string that starts at `start`, or -1."""
    while (quote := body.find(b'"', start)) >= 0:
        slashes = 0
        while body[quote - 1 - slashes] == _BACKSLASH:
            slashes += 1
        if slashes % 2 == 0:
            return quote
        start = quote + 1
    return -1


class JsonRequest(Request[Any, Any, Any]):
    """The app's request class (`request_class=`): `json()` measures the body first."""

    async def json(self) -> Any:
        if nested_deeper_than(await self.body(), MAX_DEPTH):
            raise ClientException(status_code=400, detail=TOO_DEEP)
        return await super().json()
