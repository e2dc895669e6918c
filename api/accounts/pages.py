"""Sign-in pages: ask for a link, confirm it (the GET only shows a button: mail scanners that
prefetch links consume nothing), sign out, and the buyer's /account."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.accounts import passkeys, services, sessions
from api.db import Event, Order, OrderStatus
from api.web import ratelimit
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE, PRIVATE_HEADERS


class AccountPages(Controller):
    include_in_schema = False

    @get("/login")
    async def login_form(self, sent: FromQuery[bool] = False) -> Template:
        return Template(template_name="login.html", context={"sent": sent})

    @post("/login", status_code=303, guards=[ratelimit.LOGIN])
    async def ask_for_link(
        self, db: DB, settings: AppSettings, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect:
        await services.request_login(
            db, email=data.get("email", ""), secret_key=settings.secret_key
        )
        # The same answer whether the address is known, unknown or malformed.
        return Redirect(path="/login?sent=true", status_code=303)

    @get("/login/confirm")
    async def confirm_form(self, token: FromQuery[str] = "") -> Template:
        return Template(
            template_name="login_confirm.html",
            context={"token": token},
            headers=PRIVATE_HEADERS,
        )

    @post("/login/confirm", status_code=303, guards=[ratelimit.LOGIN_CONFIRM])
    async def confirm(
        self, request: Request[Any, Any, Any], db: DB, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        email = await services.consume(db, token=data.get("token", ""))
        if email is None:
            return Template(
                template_name="login.html",
                context={"sent": False, "error": "This sign-in link is expired or was already "
                         "used. Ask for a new one below."},
                status_code=400,
            )  # fmt: skip
        if await passkeys.magic_link_refused(db, email=email):
            return Template(
                template_name="login.html",
                context={"sent": False, "error": "Your organizer requires a passkey: sign in "
                         "with it at /admin/sign-in."},
                status_code=403,
            )  # fmt: skip
        await sessions.start(request, db, subject=email)
        staff = await services.is_organizer_staff(db, email=email)
        return Redirect(path="/admin" if staff else "/account", status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any], db: DB) -> Redirect:
        await sessions.end(request, db)
        return Redirect(path="/", status_code=303)

    @get("/account")
    async def account(self, request: Request[Any, Any, Any], db: DB) -> Template | Redirect:
        email = await sessions.signed_in_email(request, db)
        if email is None:
            return Redirect(path="/login", status_code=303)
        orders = (
            await db.scalars(
                select(Order)
                .where(Order.buyer_email == email, Order.status.in_(OrderStatus.sold()))
                .options(selectinload(Order.event).selectinload(Event.organizer))
                .order_by(Order.created_at.desc())
            )
        ).all()
        return Template(
            template_name="account.html",
            context={"email": email, "orders": orders},
            headers=NO_STORE,
        )
