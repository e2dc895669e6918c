"""The passes page's forms for what a buyer does after the sale: transfer or rename a ticket,
cancel their tickets.

Whoever holds the order's link may act on it, as they may show its passes (the link is the
buyer's key: 128 random bits, emailed to them, listed in their /account); each form carries the
CSRF token. What the event's rules allow is decided by the operations themselves
(api/passes/transfer.py, api/checkout/self_cancel.py); a refusal shows the passes page again
with the reason (400 for a form to fix, 409 for what cannot be done), a success redirects to it
with `done` saying what happened.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from api.checkout import self_cancel
from api.checkout.pages import _order, passes_page
from api.db import utcnow
from api.errors import DomainError, Invalid
from api.passes import transfer
from api.web.deps import DB, AppSettings, Gateway

Form = URLEncodedBody[dict[str, str]]
ChoiceForm = URLEncodedBody[dict[str, str | list[str]]]
"""A form with ticked boxes: a field sent more than once is a list."""


class SelfServicePages(Controller):
    path = "/passes/{public_id:str}"
    include_in_schema = False

    @post("/transfer", status_code=303)
    async def transfer(
        self, db: DB, settings: AppSettings, public_id: FromPath[str], data: Form
    ) -> Redirect | Template:
        order = await _order(db, public_id)
        try:
            await transfer.transfer_pass(
                db, order=order, code=data.get("pass", "").strip(), email=data.get("email", ""),
                name=data.get("name", ""), secret_key=settings.secret_key, now=utcnow(),
                actor=order.buyer_email,
            )  # fmt: skip
        except DomainError as exc:
            return await _refused(db, settings, public_id, exc)
        return Redirect(path=f"/passes/{public_id}?done=transferred", status_code=303)

    @post("/rename", status_code=303)
    async def rename(
        self, db: DB, public_id: FromPath[str], settings: AppSettings, data: Form
    ) -> Redirect | Template:
        order = await _order(db, public_id)
        try:
            await transfer.rename_pass(
                db, order=order, code=data.get("pass", "").strip(), name=data.get("name", ""),
                now=utcnow(), actor=order.buyer_email,
            )  # fmt: skip
        except DomainError as exc:
            return await _refused(db, settings, public_id, exc)
        return Redirect(path=f"/passes/{public_id}?done=renamed", status_code=303)

    @post("/cancellation", status_code=303)
    async def cancel(
        self, db: DB, settings: AppSettings, gateway: Gateway, public_id: FromPath[str],
        data: ChoiceForm,
    ) -> Redirect | Template:  # fmt: skip
        order = await _order(db, public_id)
        ticked = data.get("pass", [])
        # The form lists the tickets (`choose`); without it, every valid ticket is meant.
        codes = ([ticked] if isinstance(ticked, str) else ticked) if "choose" in data else None
        try:
            if data.get("confirm") != "yes":
                raise Invalid("Tick the box to confirm that you want to cancel your tickets.")
            done = await self_cancel.cancel_order(
                db, gateway, order=order, now=utcnow(), actor=order.buyer_email, codes=codes
            )
        except DomainError as exc:
            return await _refused(db, settings, public_id, exc)
        outcome = "refund_requested" if done.refunded else "cancelled"
        return Redirect(path=f"/passes/{public_id}?done={outcome}", status_code=303)


async def _refused(db: Any, settings: Any, public_id: str, exc: DomainError) -> Template:
    await db.rollback()
    order = await _order(db, public_id)  # as stored: the refused form changed nothing
    return await passes_page(db, order, settings, problem=str(exc), status_code=exc.status)
