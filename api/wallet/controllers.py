"""The JSON behind the buyer's offline wallet (`/wallet`, pwa/wallet/): an order's passes as the
phone stores them, and every order of the signed-in buyer at once.

`GET /api/v1/orders/{public_id}/passes` needs no session: the unguessable order id is the
credential, exactly as for `/passes/{public_id}`. The wallet calls it to save an order and again
whenever it is online, so refunds and voids reach the phone; a 404 tells it the order is gone.
`GET /account/passes.json` is the same shape for every order of the session's buyer.

A void pass carries no token: the wallet must not show a code that no longer admits anyone.
(Apple and Google Wallet passes, the phone's own wallets, are `apple.py` and `google.py` here.)
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api.accounts.sessions import signed_in_email
from api.checkout.pages import PUBLIC_ID
from api.db import Event, Order, OrderStatus
from api.passes import services as passes
from api.web.deps import DB, AppSettings
from api.web.errors import error_responses

NOT_FOUND = "No order at this link. It may have been removed; check the link in your email."
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class WalletPass(msgspec.Struct):
    id: uuid.UUID
    """Stable id of the pass: the wallet matches saved passes to fresh ones by it."""
    tier: str
    status: str
    """`valid` or `void`."""
    void_reason: str | None
    """Why a void pass is void (`refunded`, `disputed`, …); null when valid."""
    token: str | None
    """The QR text (uppercase base32); null when the pass is void."""


class WalletEvent(msgspec.Struct):
    id: uuid.UUID
    name: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    """IANA zone to show the times in."""
    organizer: str


class WalletOrder(msgspec.Struct):
    public_id: str
    status: str
    """The order's status (`paid`, `refunded`, `partially_refunded`, `pending`, …)."""
    event: WalletEvent
    passes: list[WalletPass]


class WalletOrders(msgspec.Struct):
    orders: list[WalletOrder]


async def wallet_order(db: AsyncSession, *, order: Order, secret_key: str) -> WalletOrder:
    """One order as the wallet stores it (the order's event and organizer must be loaded)."""
    shown = [
        WalletPass(
            id=item.id,
            tier=item.tier,
            status=item.status,
            void_reason=item.void_reason,
            token=item.token,
        )
        for item in await passes.shown_passes(db, order=order, secret_key=secret_key)
    ]
    event = order.event
    return WalletOrder(
        public_id=order.public_id,
        status=order.status,
        event=WalletEvent(
            id=event.id,
            name=event.name,
            venue=event.venue,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            timezone=event.timezone,
            organizer=event.organizer.name,
        ),
        passes=shown,
    )


def _with_event() -> Any:
    return selectinload(Order.event).selectinload(Event.organizer)


class WalletApi(Controller):
    tags = ["wallet"]

    @get(
        "/api/v1/orders/{public_id:str}/passes",
        summary="An order's passes for the offline wallet (the order id is the credential)",
        responses=error_responses(404),
    )
    async def order_passes(
        self, db: DB, settings: AppSettings, public_id: FromPath[str]
    ) -> Response[WalletOrder]:
        order = None
        if PUBLIC_ID.fullmatch(public_id):
            order = await db.scalar(
                select(Order).where(Order.public_id == public_id).options(_with_event())
            )
        if order is None:
            raise NotFoundException(detail=NOT_FOUND)
        body = await wallet_order(db, order=order, secret_key=settings.secret_key)
        await db.rollback()
        return Response(body, headers=PRIVATE)

    @get(
        "/account/passes.json",
        include_in_schema=False,
        summary="Every order of the signed-in buyer, for saving them all to the wallet",
    )
    async def account_passes(
        self, request: Request[Any, Any, Any], db: DB, settings: AppSettings
    ) -> Response[WalletOrders]:
        email = await signed_in_email(request, db)
        if email is None:
            raise NotAuthorizedException(detail="Sign in to save your passes to this phone.")
        orders = await db.scalars(
            select(Order)
            .where(Order.buyer_email == email, Order.status.in_(OrderStatus.sold()))
            .options(_with_event())
            .order_by(Order.created_at.desc())
        )
        body = WalletOrders(
            orders=[
                await wallet_order(db, order=order, secret_key=settings.secret_key)
                for order in orders.all()
            ]
        )
        await db.rollback()
        return Response(body, headers=PRIVATE)
