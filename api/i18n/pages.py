"""The language switcher: `/lang/es?next=/e/some-show` sets the `lang` cookie and goes back.

A plain link (no form, no JavaScript) so it also works on the cached event page; the cookie is a
preference, not a credential, yet HttpOnly, SameSite=Lax and Secure on HTTPS like the others.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from api.i18n.context import LANGUAGES
from api.i18n.negotiation import COOKIE
from api.web.deps import AppSettings

YEAR = 365 * 24 * 3600
NAMES = {"en": "English", "es": "Español", "de": "Deutsch"}
"""Each language in its own words, for the switcher."""


def safe_next(target: str | None) -> str:
    """Only a path on this site (never `//elsewhere`): the switcher is no open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return "".join(ch for ch in target[:500] if ch.isprintable())


class LanguageSwitch(Controller):
    include_in_schema = False

    @get("/lang/{code:str}", status_code=303)
    async def switch(
        self,
        request: Request[Any, Any, Any],
        settings: AppSettings,
        code: FromPath[str],
    ) -> Redirect:
        if code not in LANGUAGES:
            raise NotFoundException(detail=f"There is no language {code[:10]!r} here.")
        target = safe_next(request.query_params.get("next"))
        return Redirect(
            path=target,
            status_code=303,
            cookies=[
                Cookie(
                    key=COOKIE,
                    value=code,
                    max_age=YEAR,
                    path="/",
                    httponly=True,
                    samesite="lax",
                    secure=settings.base_url.startswith("https://"),
                )
            ],
        )
