"""The signed-in person's Security page (`/admin/security`: passkeys, sessions, and for owners
whether their organizer requires passkeys), and "Sign in with a passkey" on `/admin/sign-in`.

The ceremonies' JSON steps are small POSTs that `pwa/dashboard/passkeys.js` makes with the
page's CSRF token in `x-csrftoken`; everything else is a plain form. The person is whoever the
back office's guard found (`who`): a staff email, or the operator.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from api.accounts import passkeys, sessions
from api.accounts.passkeys import PasskeyError
from api.accounts.services import is_organizer_staff
from api.admin.access import Connection, Who, viewer_of, visible_organizers
from api.admin.auth import SESSION_KEY, operator_configured, session_fingerprint
from api.web.deps import DB, AppSettings
from api.web.ratelimit import client_ip, rate_limit
from api.web.security import NO_STORE

log = logging.getLogger(__name__)

PASSKEY_SIGN_IN = rate_limit("passkey-sign-in", per_window=30, window_seconds=600)
"""Passkey sign-in attempts one address may make: 30 in 10 minutes (options and answers)."""

JSON = "application/json"


def _credential(data: Any) -> Any:
    if not isinstance(data, dict) or not isinstance(data.get("credential"), dict):
        raise ClientException(detail='Send the browser\'s credential as {"credential": {...}}.')
    return data["credential"]


async def _own_organizer(connection: Connection, _: BaseRouteHandler) -> None:
    """The organizer in the path (`organizer_id`): its owners only, who set its passkey rule
    (the operator belongs to no organizer); anyone else is told there is no such organizer."""
    who = viewer_of(connection)
    if who.is_operator or not who.may_manage(connection.path_params["organizer_id"]):
        raise NotFoundException(detail="No such organizer.")


class SecurityPages(Controller):
    """Under the back office's router: signed-in staff and the operator only."""

    path = "/security"

    @get("/")
    async def page(
        self, request: Request[Any, Any, Any], db: DB, who: Who, saved: FromQuery[str] = ""
    ) -> Template:
        owned = [
            o
            for o in await visible_organizers(db, who)
            if not who.is_operator and who.may_manage(o.id)
        ]
        return Template(
            template_name="admin/security.html",
            context={
                "who": who,
                "passkeys": await passkeys.passkeys_of(db, subject=who.who),
                "browsers": await sessions.browsers_of(request, db, subject=who.who),
                "owned": [
                    (
                        o,
                        await passkeys.is_required(db, organizer_id=o.id),
                        await passkeys.members_with_passkeys(db, organizer_id=o.id),
                    )
                    for o in owned
                ],
                "required_by": []
                if who.is_operator
                else await passkeys.required_by(db, email=who.who),
                "saved": saved,
            },
            headers=NO_STORE,
        )

    @post("/passkeys/options", status_code=200)
    async def registration_options(self, db: DB, who: Who, settings: AppSettings) -> Response[str]:
        options = await passkeys.registration_options(
            db, subject=who.who, base_url=settings.base_url, secret_key=settings.secret_key
        )
        return Response(options, media_type=JSON, headers=NO_STORE)

    @post("/passkeys", status_code=201)
    async def add_passkey(
        self, db: DB, who: Who, settings: AppSettings, data: JSONBody[dict[str, Any]]
    ) -> dict[str, str]:
        name = data.get("name") if isinstance(data, dict) else None
        try:
            passkey = await passkeys.register(
                db,
                subject=who.who,
                name=name if isinstance(name, str) else "",
                credential=_credential(data),
                base_url=settings.base_url,
            )
        except PasskeyError as exc:
            raise ClientException(detail=str(exc)) from exc
        return {"id": str(passkey.id), "name": passkey.name}

    @post("/passkeys/{passkey_id:uuid}/remove", status_code=303)
    async def remove_passkey(self, db: DB, who: Who, passkey_id: FromPath[uuid.UUID]) -> Redirect:
        if not await passkeys.remove(db, subject=who.who, passkey_id=passkey_id):
            raise NotFoundException(detail="No such passkey.")
        return Redirect(path="/admin/security?saved=passkey-removed", status_code=303)

    @post("/sessions/{handle:str}/end", status_code=303)
    async def end_session(
        self, request: Request[Any, Any, Any], db: DB, who: Who, handle: FromPath[str]
    ) -> Redirect:
        current = any(
            b.current and b.handle == handle
            for b in await sessions.browsers_of(request, db, subject=who.who)
        )
        if not await sessions.end_one(db, subject=who.who, handle=handle):
            raise NotFoundException(detail="No such session.")
        if current:
            request.clear_session()
            return Redirect(path="/admin/sign-in", status_code=303)
        return Redirect(path="/admin/security?saved=session-ended", status_code=303)

    @post("/sessions/end-all", status_code=303)
    async def end_everywhere(self, request: Request[Any, Any, Any], db: DB, who: Who) -> Redirect:
        await sessions.end_everywhere(db, subject=who.who)
        await db.commit()
        request.clear_session()
        return Redirect(path="/admin/sign-in", status_code=303)

    @post("/required/{organizer_id:uuid}", status_code=303, guards=[_own_organizer])
    async def require(
        self,
        db: DB,
        who: Who,
        organizer_id: FromPath[uuid.UUID],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        await passkeys.set_required(
            db, organizer_id=organizer_id, required=data.get("required") == "on", actor=who.who
        )
        return Redirect(path="/admin/security?saved=requirement", status_code=303)

    @post(
        "/required/{organizer_id:uuid}/members/{member_id:uuid}/reset",
        status_code=303,
        guards=[_own_organizer],
    )
    async def reset_member(
        self,
        db: DB,
        who: Who,
        organizer_id: FromPath[uuid.UUID],
        member_id: FromPath[uuid.UUID],
    ) -> Redirect:
        if not await passkeys.reset_member(
            db, organizer_id=organizer_id, member_id=member_id, actor=who.who
        ):
            raise NotFoundException(detail="No such member.")
        return Redirect(path="/admin/security?saved=passkeys-reset", status_code=303)


class PasskeySignIn(Controller):
    """`/admin/sign-in/passkey`: outside the back office's guard (no one is signed in yet)."""

    path = "/admin/sign-in/passkey"
    include_in_schema = False

    @post("/options", status_code=200, guards=[PASSKEY_SIGN_IN])
    async def options(self, db: DB, settings: AppSettings) -> Response[str]:
        options = await passkeys.authentication_options(db, base_url=settings.base_url)
        return Response(options, media_type=JSON, headers=NO_STORE)

    @post("/", status_code=200, guards=[PASSKEY_SIGN_IN])
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        settings: AppSettings,
        data: JSONBody[dict[str, Any]],
    ) -> dict[str, str]:
        try:
            subject = await passkeys.sign_in(
                db, credential=_credential(data), base_url=settings.base_url
            )
        except PasskeyError as exc:
            log.info("passkey sign-in refused", extra={"client": client_ip(request)})
            raise ClientException(detail=str(exc)) from exc
        if subject == passkeys.OPERATOR:
            if not operator_configured(settings):
                raise ClientException(detail="Operator sign-in is off on this server.")
            await sessions.start(
                request, db, subject=subject, **{SESSION_KEY: session_fingerprint(settings)}
            )
        elif await is_organizer_staff(db, email=subject):
            await sessions.start(request, db, subject=subject)
        else:
            raise ClientException(detail="This passkey's person is no longer on any team.")
        return {"redirect": "/admin/"}
