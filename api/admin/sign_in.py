"""`/admin/sign-in`: where a browser without a staff session lands when it opens the dashboard.

Organizer staff ask for a one-time link (the ordinary `/login` form); the platform operator,
when ADMIN_USERNAME/ADMIN_PASSWORD are set, signs in with them here (see `api.admin.auth` for why
a form and not a Basic challenge, and for the limit on failed attempts).
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from api.accounts import sessions
from api.admin.auth import (
    NOT_CONFIGURED,
    SESSION_KEY,
    operator_configured,
    operator_credentials_ok,
    session_fingerprint,
)
from api.web.deps import DB, AppSettings
from api.web.ratelimit import client_ip
from api.web.security import NO_STORE

log = logging.getLogger(__name__)


def _page(settings: AppSettings, *, error: str | None = None, status: int = 200) -> Template:
    return Template(
        template_name="admin/sign_in.html",
        context={"operator": operator_configured(settings), "error": error},
        status_code=status,
        headers=NO_STORE,
    )


class SignInPages(Controller):
    path = "/admin/sign-in"
    include_in_schema = False

    @get("/")
    async def form(self, settings: AppSettings) -> Template:
        return _page(settings)

    @post("/", status_code=303)
    async def operator(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        settings: AppSettings,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        if not operator_configured(settings):
            return _page(settings, error=NOT_CONFIGURED, status=403)
        user, password = data.get("username", ""), data.get("password", "")
        if not await operator_credentials_ok(request, user, password, via="form"):
            return _page(settings, error="Wrong user name or password.", status=401)
        await sessions.start(
            request, db, subject=sessions.OPERATOR, **{SESSION_KEY: session_fingerprint(settings)}
        )
        log.info("operator signed in", extra={"client": client_ip(request)})
        return Redirect(path="/admin", status_code=303)
