"""Reading forms the way a browser submits them: the CSRF token every POST form carries."""

from __future__ import annotations

import re

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has a form carrying a CSRF token"
    return found.group(1)
