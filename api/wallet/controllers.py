"""What the buyer's wallets fetch: the JSON behind the offline wallet (`/wallet`, pwa/wallet/), an
order's passes as the phone stores them and every order of the signed-in buyer at once; and one
pass for Apple or Google Wallet.

`GET /api/v1/orders/{public_id}/passes` needs no session: the unguessable order id is the
credential, exactly as for `/passes/{public_id}`. The wallet calls it to save an order and again
whenever it is online, so refunds and voids reach the phone; a 404 tells it the order is gone.
`GET /account/passes.json` is the same shape for every order of the session's buyer.

A void pass carries no token: the wallet must not show a code that no longer admits anyone.

The phone's own wallets get one pass each, behind the same unguessable order link:
`/passes/{order}/{pass}/apple.pkpass` answers the signed pass file (`apple.py`);
`/passes/{order}/{pass}/google` redirects to a freshly signed "Save to Google Wallet" link
(`google.py`; so the passes page stays small and the JWT's `iat` is recent). Each answers 404
with a plain message when its wallet is not configured.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    ServiceUnavailableException,
)
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api.accounts.sessions import signed_in_email
from api.db import Event, Order, OrderStatus
from api.passes import services as passes
from api.wallet import apple, google
from api.wallet.tickets import WalletSetupError, WalletTicket, find_ticket
from api.web.deps import DB, AppSettings
from api.web.errors import error_responses
from api.web.security import PRIVATE_HEADERS

log = logging.getLogger(__name__)
NOT_FOUND = "No order at this link. It may have been removed; check the link in your email."
NO_TICKET = "No pass at this link. Check the link in your email."


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
        order = await passes.order_by_link(db, public_id)
        if order is None:
            raise NotFoundException(detail=NOT_FOUND)
        body = await wallet_order(db, order=order, secret_key=settings.secret_key)
        await db.rollback()
        return Response(body, headers=PRIVATE_HEADERS)

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
        return Response(body, headers=PRIVATE_HEADERS)


async def _ticket(db: DB, settings: AppSettings, public_id: str, pass_id: str) -> WalletTicket:
    ticket = await find_ticket(
        db, order_public_id=public_id, pass_id=pass_id, secret_key=settings.secret_key
    )
    if ticket is None:
        raise NotFoundException(detail=NO_TICKET)
    return ticket


def _unavailable(wallet: str, exc: WalletSetupError) -> ServiceUnavailableException:
    log.error("%s passes cannot be made: %s", wallet, exc)
    return ServiceUnavailableException(detail=f"{wallet} passes are not available right now.")


class WalletPassLinks(Controller):
    include_in_schema = False

    @get("/passes/{public_id:str}/{pass_id:str}/apple.pkpass")
    async def apple_pass(
        self, db: DB, settings: AppSettings, public_id: FromPath[str], pass_id: FromPath[str]
    ) -> Response[bytes]:
        if not settings.apple_wallet_enabled:
            raise NotFoundException(detail="Apple Wallet passes are not set up on this site.")
        ticket = await _ticket(db, settings, public_id, pass_id)
        try:
            signer = await asyncio.to_thread(apple.load_signer, settings)
        except WalletSetupError as exc:
            raise _unavailable("Apple Wallet", exc) from exc
        data = await asyncio.to_thread(apple.build_pkpass, ticket, signer=signer)
        filename = f"{ticket.event_slug}-{ticket.pass_id}.pkpass"
        return Response(
            content=data,
            media_type=apple.MEDIA_TYPE,
            headers={
                **PRIVATE_HEADERS,
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )

    @get("/passes/{public_id:str}/{pass_id:str}/google", status_code=303)
    async def google_pass(
        self, db: DB, settings: AppSettings, public_id: FromPath[str], pass_id: FromPath[str]
    ) -> Redirect:
        if not settings.google_wallet_enabled:
            raise NotFoundException(detail="Google Wallet passes are not set up on this site.")
        ticket = await _ticket(db, settings, public_id, pass_id)
        try:
            signer = await asyncio.to_thread(google.load_signer, settings)
        except WalletSetupError as exc:
            raise _unavailable("Google Wallet", exc) from exc
        link = google.save_link(ticket, signer=signer, origin=settings.base_url)
        return Redirect(path=link, status_code=303, headers=PRIVATE_HEADERS)
