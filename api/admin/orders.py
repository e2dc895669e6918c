"""Dashboard orders: search, one order's passes and emails, and the money buttons.

Refunds go through `api.admin.refunds.request_refund` (Stripe, then the webhook voids the
passes): the whole order, or only the passes ticked on the page (the amount is their tiers'
prices). "Void without refund" voids ticked passes with a reason and no money moving (the
money was settled in the Stripe dashboard, say). Only owners and managers (and the operator)
may refund, void or resend. Door leads see orders but not these buttons, and a forged POST from
them is a 403.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api import audit
from api.admin.access import Viewer, Who, sales_organizers
from api.admin.deps import ThisOrder
from api.payments.refunds import VOIDED, request_refund, void_passes
from api.db import AuditEntry, Event, Order, OutboxMessage, PassStatus, Refund
from api.errors import DomainError
from api.mail.outbox import NothingToSend, queue_resend
from api.passes.services import order_passes
from api.passes.tokens import pass_key_text
from api.web.deps import DB, Gateway


def _ticked_and_reason(data: dict[str, str | list[str]]) -> tuple[list[str], str]:
    """The passes ticked on the order page's form, and the reason typed (at most 200 chars)."""
    ticked = data.get("pass", [])
    reason = data.get("reason", "")
    return (
        [ticked] if isinstance(ticked, str) else ticked,
        (reason if isinstance(reason, str) else "")[:200],
    )


async def _detail_page(db: AsyncSession, who: Viewer, order: Order, *, note: str) -> Template:
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
            "money": who.may_handle_money(order.event.organizer_id),
            "note": note,
        },
        headers={"Cache-Control": "no-store"},
    )


class OrderPages(Controller):
    path = "/orders"

    @get("/")
    async def search(self, db: DB, who: Who, q: FromQuery[str] = "") -> Template:
        ids = [o.id for o in await sales_organizers(db, who)]
        query = (
            select(Order)
            .join(Event, Event.id == Order.event_id)
            .where(Event.organizer_id.in_(ids))
            .options(selectinload(Order.event))
            .order_by(Order.created_at.desc())
            .limit(100)
        )
        term = q.strip()[:200].replace("\x00", "")
        if term:
            like = f"%{term.lower()}%"
            query = query.where(
                or_(
                    Order.buyer_email.like(like),
                    Order.buyer_name.ilike(like),
                    Order.public_id == term,
                )
            )
        orders = list(await db.scalars(query))
        return Template(template_name="admin/orders.html", context={"orders": orders, "q": term})

    @get("/{public_id:str}")
    async def detail(self, db: DB, who: Who, order: ThisOrder) -> Template:
        return await _detail_page(db, who, order, note="")

    @post("/{public_id:str}/refund", status_code=200)
    async def refund(
        self,
        db: DB,
        who: Who,
        gateway: Gateway,
        order: ThisOrder,
        data: URLEncodedBody[dict[str, str | list[str]]],
    ) -> Template:
        """The whole order, or (with `pass` fields, the ticked boxes) only those passes."""
        chosen, reason = _ticked_and_reason(data)
        partial = data.get("scope") == "passes"
        if partial and not chosen:
            return await _detail_page(db, who, order, note="Tick the passes to refund.")
        try:
            started = await request_refund(
                db, gateway, order=order, amount=None, passes=chosen if partial else [],
                reason=reason, actor=who.who,
            )  # fmt: skip
            note = started.detail
        except DomainError as exc:
            note = exc.message
        return await _detail_page(db, who, order, note=note)

    @post("/{public_id:str}/void", status_code=200)
    async def void(
        self,
        db: DB,
        who: Who,
        order: ThisOrder,
        data: URLEncodedBody[dict[str, str | list[str]]],
    ) -> Template:
        """Void the ticked passes without refunding anything; a reason is required."""
        chosen, reason = _ticked_and_reason(data)
        try:
            note = await void_passes(
                db, order=order, organizer_id=order.event.organizer_id, passes=chosen,
                reason=reason, actor=who.who,
            )  # fmt: skip
        except DomainError as exc:
            await db.rollback()
            note = exc.message
        return await _detail_page(db, who, order, note=note)

    @post("/{public_id:str}/resend", status_code=303)
    async def resend(self, db: DB, who: Who, order: ThisOrder) -> Redirect:
        back = Redirect(path=f"/admin/orders/{order.public_id}", status_code=303)
        try:
            await queue_resend(db, order_id=order.id)
            audit.record(db, organizer_id=order.event.organizer_id, actor=who.who,
                         action="tickets.resent", target=str(order.id))  # fmt: skip
            await db.commit()
        except NothingToSend:
            await db.rollback()
        return back
