"""The organizer API (`/api/v1/events…`, `/api/v1/orders/{id}…`): an organizer's own events,
tiers, orders, passes, check-ins and door figures, and three actions, for an API key
(`api.organizer_api.auth`: its scope per operation, its allowance, its organizer only).

Every action is the dashboard's own: a refund is `api.payments.refunds.request_refund` (Stripe
with `reverse_transfer`; the webhook voids the passes), a resend `api.mail.resend`, a check-in
`api.checkin.manual.check_in` (a scan by the event's Dashboard device, by the door's rules).
Each is audited under the key ("API key Box office (ptx_AbCd1234…)").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Router, get, post
from litestar.params import FromQuery, PathParameter
from sqlalchemy import select

from api.admin.controllers import Queued, RefundAccepted, RefundBody
from api.admin.live import DeviceFigures, DoorFigures, LiveFigures, TierFigures, live_figures
from api.checkin import manual
from api.checkin.wire import PASS_ID_PATTERN
from api.db import ApiKey, OrderStatus, Pass
from api.errors import NotFound
from api.mail.resend import resend_tickets
from api.organizer_api import reads, wire
from api.organizer_api.auth import DEPENDENCIES, KEY_SECURITY, Key, ThisEvent, ThisOrder, key_guard
from api.organizer_api.cursor import Cursor, Limit
from api.passes.tokens import parse_pass_key_text
from api.payments.refunds import request_refund
from api.web.deps import DB, AppSettings, Gateway
from api.web.errors import error_responses

READ: dict[str, Any] = {"scope": "read"}
PAGED: dict[str, Any] = {"scope": "read", "query": ("cursor", "limit")}
READ_ERRORS = error_responses(400, 401, 403, 404, 429)
PassIdParam = Annotated[
    str,
    PathParameter(pattern=PASS_ID_PATTERN, min_length=18, max_length=18,
              description="The pass id as the door shows it (18 characters)."),
]  # fmt: skip
_NOW = datetime.fromisoformat("2026-12-18T20:40:00+00:00")
DOOR_EXAMPLE = LiveFigures(
    event_id=wire.EVENT.id, event=wire.EVENT.name, timezone=wire.EVENT.timezone, sold=143,
    checked_in=97, tiers=[TierFigures(name="General admission", sold=143, checked_in=97)],
    doors=[DoorFigures(door="Main gate", checked_in=97, devices=2, last_sync_at=_NOW, pending=0)],
    devices=[DeviceFigures(name="Main gate", last_sync_at=_NOW, pending=0, revoked=False)],
    as_of=_NOW,
)  # fmt: skip


def page_responses(example: Any, description: str) -> dict[int, Any]:
    """The `responses=` of a list operation: a page (`example`, documented) and the read errors."""
    return {**wire.documented(200, type(example), example, description), **READ_ERRORS}


def actor(key: ApiKey) -> str:
    """How the audit log names what a key did."""
    return f"API key {key.name} ({key.prefix}…)"


def passes_base(key: ApiKey, settings: AppSettings) -> str | None:
    """The site's address when the key may see buyers' passes links (a bearer capability:
    wire.Order.passes_url), that is with the `orders` scope; None for a read-only key."""
    return settings.base_url if "orders" in key.scopes else None


ORDERS_SCOPE_NOTE = (
    " `passes_url`, the buyer's passes page, opens the QR codes to whoever has it: only keys "
    "with the `orders` scope get it (null otherwise)."
)


class EventReads(Controller):
    path = "/events"

    @get(
        "/",
        summary="List the organizer's events",
        opt=PAGED,
        responses=page_responses(
            wire.EventPage(items=[wire.EVENT], next=wire.NEXT), "A page of events, oldest first"
        ),
    )
    async def events(
        self, db: DB, key: Key, settings: AppSettings, cursor: Cursor = None, limit: Limit = 50
    ) -> wire.EventPage:
        return await reads.events(
            db, organizer_id=key.organizer_id, base_url=settings.base_url, after=cursor,
            limit=limit,
        )  # fmt: skip

    @get(
        "/{event_id:uuid}",
        summary="One event with its tiers",
        opt=READ,
        responses={**wire.documented(200, wire.Event, wire.EVENT, "The event"), **READ_ERRORS},
    )
    async def event(self, db: DB, settings: AppSettings, event: ThisEvent) -> wire.Event:
        tiers = await reads.event_tiers(db, event_id=event.id)
        return reads.event_out(event, base_url=settings.base_url, tiers=tiers)

    @get(
        "/{event_id:uuid}/tiers",
        summary="List the event's ticket tiers",
        opt=PAGED,
        responses=page_responses(wire.TierPage(items=[wire.TIER], next=None), "A page of tiers"),
    )
    async def tiers(
        self, db: DB, event: ThisEvent, cursor: Cursor = None, limit: Limit = 50
    ) -> wire.TierPage:
        return await reads.tiers(db, event_id=event.id, after=cursor, limit=limit)

    @get(
        "/{event_id:uuid}/orders",
        summary="List the event's orders",
        description="Oldest first; an order placed while you page through comes on a later page."
        + ORDERS_SCOPE_NOTE,
        opt={"scope": "read", "query": ("status", "cursor", "limit")},
        responses=page_responses(
            wire.OrderPage(items=[wire.ORDER], next=wire.NEXT), "A page of orders"
        ),
    )
    async def orders(
        self,
        db: DB,
        key: Key,
        settings: AppSettings,
        event: ThisEvent,
        status: FromQuery[OrderStatus | None] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> wire.OrderPage:
        return await reads.orders(
            db, event_id=event.id, status=status, after=cursor, limit=limit,
            passes_base=passes_base(key, settings),
        )  # fmt: skip

    @get(
        "/{event_id:uuid}/passes",
        summary="List the event's passes",
        opt=PAGED,
        responses=page_responses(
            wire.PassPage(items=[wire.PASS], next=wire.NEXT), "A page of passes"
        ),
    )
    async def passes(
        self, db: DB, event: ThisEvent, cursor: Cursor = None, limit: Limit = 50
    ) -> wire.PassPage:
        return await reads.passes(db, event_id=event.id, after=cursor, limit=limit)

    @get(
        "/{event_id:uuid}/checkins",
        summary="List the event's check-ins",
        description=(
            "Every scan the server holds, from door phones and the dashboard, in the order it "
            "received them: a phone that was offline uploads its scans later, with their own "
            "`scanned_at`. Poll with the last `next` to get only new ones."
        ),
        opt=PAGED,
        responses=page_responses(
            wire.CheckInPage(items=[wire.CHECK_IN], next=wire.NEXT), "A page of check-ins"
        ),
    )
    async def check_ins(
        self, db: DB, event: ThisEvent, cursor: Cursor = None, limit: Limit = 50
    ) -> wire.CheckInPage:
        return await reads.check_ins(db, event_id=event.id, after=cursor, limit=limit)

    @get(
        "/{event_id:uuid}/door",
        summary="The door's figures now",
        description="Sold and checked in per tier and door, devices, who is inside per list.",
        opt=READ,
        responses={
            **wire.documented(200, LiveFigures, DOOR_EXAMPLE, "The live door figures"),
            **READ_ERRORS,
        },
    )
    async def door(self, db: DB, event: ThisEvent) -> LiveFigures:
        return await live_figures(db, event)

    @post(
        "/{event_id:uuid}/passes/{pass_id:str}/check-in",
        status_code=200,
        summary="Check a guest in",
        description=(
            "As the dashboard's order page does: the door's rules decide. `recorded` is false, "
            "with the door's reason, when the door would not admit the pass (already scanned, "
            "refunded); nothing is written then."
        ),
        opt={"scope": "check-in"},
        responses={
            **wire.documented(
                200,
                wire.CheckInResult,
                wire.CheckInResult(recorded=True, code="admit", message="Admit"),
                "What the door says",
            ),
            **error_responses(400, 401, 403, 404, 415, 429),
        },
    )
    async def check_in(
        self, db: DB, key: Key, event: ThisEvent, pass_id: PassIdParam
    ) -> wire.CheckInResult:
        pass_key = parse_pass_key_text(pass_id)
        found = None if pass_key is None else await db.scalar(
            select(Pass.id).where(Pass.event_id == event.id, Pass.pass_key == pass_key)
        )  # fmt: skip
        if found is None:
            raise NotFound("No such pass at this event.")
        result = await manual.check_in(db, event=event, pass_id=found, actor=actor(key))
        await db.commit()
        return wire.CheckInResult(recorded=result.recorded, code=result.code, message=result.words)


class OrderActions(Controller):
    path = "/orders"

    @get(
        "/{order_id:str}",
        summary="One order with its passes",
        description="By its `id` (the public id in a buyer's passes link is taken too)."
        + ORDERS_SCOPE_NOTE,
        opt=READ,
        responses={
            **wire.documented(
                200,
                wire.Order,
                wire.Order(
                    **{
                        **{f: getattr(wire.ORDER, f) for f in wire.Order.__struct_fields__},
                        "passes": [wire.PASS],
                        "passes_url": wire.PASSES_URL,
                    }
                ),
                "The order, to a key with the `orders` scope",
            ),
            **READ_ERRORS,
        },
    )
    async def order(self, db: DB, key: Key, settings: AppSettings, order: ThisOrder) -> wire.Order:
        return await reads.order_detail(db, order=order, passes_base=passes_base(key, settings))

    @post(
        "/{order_id:str}/refund",
        status_code=202,
        summary="Refund an order",
        description=(
            "The whole remaining amount, an amount, or the named passes' prices. Stripe "
            "confirms by webhook, which voids the passes; a free order is cancelled at once."
        ),
        opt={"scope": "orders"},
        responses={
            **wire.documented(
                202,
                RefundAccepted,
                RefundAccepted(
                    status="requested",
                    refund_id="re_3QhYk2",
                    detail="Refund of "
                    "$50.00 requested; the passes are voided when Stripe confirms.",
                ),
                "The refund was asked for",
            ),
            **error_responses(400, 401, 403, 404, 409, 415, 429, 502),
        },
    )
    async def refund(
        self, db: DB, key: Key, gateway: Gateway, order: ThisOrder, data: RefundBody
    ) -> RefundAccepted:
        started = await request_refund(
            db, gateway, order=order, amount=data.amount, passes=data.passes,
            reason=data.reason, actor=actor(key),
        )  # fmt: skip
        return RefundAccepted(
            status=started.status, refund_id=started.refund_id, detail=started.detail
        )

    @post(
        "/{order_id:str}/resend",
        status_code=202,
        summary="Email the tickets again",
        opt={"scope": "orders"},
        responses={
            **wire.documented(
                202,
                Queued,
                Queued(detail="The tickets go to ana@example.com again."),
                "The email is queued",
            ),
            **error_responses(400, 401, 403, 404, 409, 415, 429),
        },
    )
    async def resend(self, db: DB, key: Key, order: ThisOrder) -> Queued:
        buyer = order.buyer_email
        await resend_tickets(
            db, order=order, organizer_id=order.event.organizer_id, actor=actor(key)
        )
        return Queued(detail=f"The tickets go to {buyer} again.")


def organizer_api_router() -> Router:
    """`/api/v1/events…` and `/api/v1/orders/{id}…`, each call with an organizer API key."""
    return Router(
        "/api/v1",
        route_handlers=[EventReads, OrderActions],
        guards=[key_guard],
        dependencies=DEPENDENCIES,
        security=KEY_SECURITY,
        tags=["organizer"],
    )
