"""Dashboard orders: the list (search, filters and pages: `api.admin.order_search`) with its bulk
resend of the ticked orders' tickets (`api.mail.resend.resend_many`), one order's passes and
emails, and the money buttons.

Refunds go through `api.payments.refunds.request_refund` (Stripe, then the webhook voids the
passes): the whole order, or only the passes ticked on the page (the amount is their tiers'
prices). "Void without refund" voids ticked passes with a reason and no money moving (the
money was settled in the Stripe dashboard, say). Only owners and managers (and the operator)
may refund, void or resend. Door leads see orders but not these buttons, and a forged POST from
them is a 403.

"Check in" beside each valid pass checks the guest in as the door would (`api.checkin.manual`,
online, audited there): the page then says the door's words ("Admit", "Already scanned 7:34 PM
at Gate A", "Refunded — do not admit").
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Viewer, Who, sales_organizers
from api.admin.deps import ThisOrder
from api.admin.order_search import (
    STATUSES,
    OrderQuery,
    orders_named,
    search_orders,
    tickets_of,
)
from api.checkin import manual
from api.checkout.codes import order_code
from api.checkout.holders import order_holders
from api.db import AuditEntry, Order, OutboxMessage, PassStatus, Refund
from api.errors import DomainError, NotFound, Refused
from api.events.services import events_with_tiers
from api.mail.resend import Resent, resend_many, resend_tickets
from api.passes import lineage
from api.passes.services import order_passes
from api.passes.tokens import pass_key_text
from api.payments.refunds import VOIDED, RefundStarted, request_refund, void_passes
from api.web.deps import DB, Gateway
from api.web.security import NO_STORE

TickedForm = URLEncodedBody[dict[str, str | list[str]]]


def _ticked_and_reason(data: dict[str, str | list[str]]) -> tuple[list[str], str]:
    """The passes ticked on the order page's form, and the reason typed (at most 200 chars)."""
    ticked = data.get("pass", [])
    reason = data.get("reason", "")
    return (
        [ticked] if isinstance(ticked, str) else ticked,
        (reason if isinstance(reason, str) else "")[:200],
    )


async def _detail_page(
    db: AsyncSession,
    order: Order,
    *,
    note: str,
    checked: tuple[str, manual.CheckIn] | None = None,
) -> Template:
    await db.refresh(order)  # as it stands now, after whatever the page's button did
    passes = await order_passes(db, order_id=order.id)
    emails = list(
        await db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.payload["order_id"].astext == str(order.id))
            .order_by(OutboxMessage.created_at)
        )
    )
    refunds = list(
        await db.scalars(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.created_at)
        )
    )
    # A pass named by a refund still under way is not offered again (the webhook voids it).
    underway = {
        pass_id
        for refund in refunds
        if refund.status not in ("failed", "canceled")
        for pass_id in refund.pass_ids.split(",")
    }
    listed = [(pass_key_text(p.pass_key), p) for p in passes]
    # Why each pass was voided without a refund, in the organizer's words (the audit has it).
    void_notes: dict[str, str] = {}
    if any(p.void_reason == VOIDED for p in passes):
        for entry in await db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "passes.voided", AuditEntry.target == str(order.id))
            .order_by(AuditEntry.created_at)
        ):
            for pass_id in entry.details.get("passes", []):
                void_notes[pass_id] = str(entry.details.get("reason", ""))
    void_notes.update(await lineage.transfer_notes(db, order_id=order.id))  # "to ana@…"
    return Template(
        template_name="admin/order.html",
        context={
            "order": order,
            "passes": listed,
            "refundable": [
                pass_id
                for pass_id, p in listed
                if p.status == PassStatus.valid and pass_id not in underway
            ],
            "void_notes": void_notes,
            "refunds": refunds,
            "emails": emails,
            "money": True,  # only those who handle its money see an order (`provide_order`)
            "note": note,
            "checked": checked,
            "holders": await order_holders(db, order=order),
            "code": await order_code(db, order=order),
        },
        headers=NO_STORE,
    )


class OrderPages(Controller):
    path = "/orders"

    @get("/")
    async def search(
        self,
        db: DB,
        who: Who,
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        event_filter: Annotated[str, QueryParameter(name="event")] = "",
        tier_filter: Annotated[str, QueryParameter(name="tier")] = "",
        page: FromQuery[str] = "",
    ) -> Template:
        """Search by name, email, reference or link id; filter by event, tier and status (`event`
        and `tier` name the router's dependencies, hence the parameters' own names)."""
        fields = {
            "q": q,
            "status": status,
            "event": event_filter,
            "tier": tier_filter,
            "page": page,
        }
        query = OrderQuery.from_form(fields)
        return await _list_page(db, who, query, note="")

    @post("/resend", status_code=200)
    async def resend_selected(self, db: DB, who: Who, data: TickedForm) -> Template:
        """Email the tickets of the ticked orders (`order`: public ids) again, then the same
        list (its filters come back as hidden fields) saying how many were queued."""
        chosen = _listed(data.get("order", []))
        query = OrderQuery.from_form(data)
        if not chosen:
            return await _list_page(db, who, query, note="Tick the orders to email again.")
        ids = [o.id for o in await sales_organizers(db, who)]
        orders = await orders_named(db, organizer_ids=ids, public_ids=chosen)
        try:
            resent = await resend_many(db, orders=orders, actor=who.who)
        except Refused as exc:
            return await _list_page(db, who, query, note=exc.message)
        return await _list_page(db, who, query, note=_resent_note(resent), resent=resent)

    @get("/{public_id:str}")
    async def detail(self, db: DB, order: ThisOrder) -> Template:
        return await _detail_page(db, order, note="")

    @post("/{public_id:str}/refund", status_code=200)
    async def refund(
        self, db: DB, who: Who, gateway: Gateway, order: ThisOrder, data: TickedForm
    ) -> Template:
        """The whole order, or (with `pass` fields, the ticked boxes) only those passes."""
        chosen, reason = _ticked_and_reason(data)
        if data.get("scope") != "passes":
            chosen = []
        elif not chosen:
            return await _detail_page(db, order, note="Tick the passes to refund.")
        started = request_refund(
            db, gateway, order=order, amount=None, passes=chosen, reason=reason, actor=who.who
        )
        return await _outcome(db, order, _said(started))

    @post("/{public_id:str}/void", status_code=200)
    async def void(self, db: DB, who: Who, order: ThisOrder, data: TickedForm) -> Template:
        """Void the ticked passes without refunding anything; a reason is required."""
        chosen, reason = _ticked_and_reason(data)
        voided = void_passes(
            db, order=order, organizer_id=order.event.organizer_id, passes=chosen,
            reason=reason, actor=who.who,
        )  # fmt: skip
        return await _outcome(db, order, voided)

    @post("/{public_id:str}/check-in", status_code=200)
    async def check_in(
        self, db: DB, who: Who, order: ThisOrder, data: URLEncodedBody[dict[str, str]]
    ) -> Template:
        """Check one pass of the order in (`pass`: its id as shown), by the door's rules."""
        wanted = (data.get("pass") or "").strip()
        found = next(
            (p for p in await order_passes(db, order_id=order.id)
             if pass_key_text(p.pass_key) == wanted),
            None,
        )  # fmt: skip
        if found is None:
            raise NotFound("That pass is not one of this order's.")
        result = await manual.check_in(db, event=order.event, pass_id=found.id, actor=who.who)
        await db.commit()
        return await _detail_page(db, order, note="", checked=(wanted, result))

    @post("/{public_id:str}/resend", status_code=303)
    async def resend(self, db: DB, who: Who, order: ThisOrder) -> Redirect:
        back = Redirect(path=f"/admin/orders/{order.public_id}", status_code=303)
        with contextlib.suppress(Refused):  # nothing left to send: the page shows why
            await resend_tickets(
                db, order=order, organizer_id=order.event.organizer_id, actor=who.who
            )
        return back


async def _outcome(db: AsyncSession, order: Order, action: Awaitable[str]) -> Template:
    """Run the page's button: the order page again, saying what happened or why not."""
    try:
        note = await action
    except DomainError as exc:
        await db.rollback()
        note = exc.message
    return await _detail_page(db, order, note=note)


async def _said(refund: Awaitable[RefundStarted]) -> str:
    return (await refund).detail


async def _list_page(
    db: AsyncSession, who: Viewer, query: OrderQuery, *, note: str, resent: Resent | None = None
) -> Template:
    ids = [o.id for o in await sales_organizers(db, who)]
    found = await search_orders(db, organizer_ids=ids, query=query)
    return Template(
        template_name="admin/orders.html",
        context={
            "found": found,
            "query": query,
            "statuses": STATUSES,
            "choices": await events_with_tiers(db, organizer_ids=ids),
            "tickets_of": tickets_of,
            "note": note,
            "resent": resent,
        },
        headers=NO_STORE,
    )


def _resent_note(resent: Resent) -> str:
    said = (
        f"Tickets queued to be emailed again for {resent.queued} order"
        + ("" if resent.queued == 1 else "s")
        + "."
    )
    if resent.nothing_left:
        said += f" {resent.nothing_left} had no valid ticket left to send."
    return said


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
