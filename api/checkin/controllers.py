"""The scanner's JSON API (`/api/v1/scanner/…`): pairing, then bearer-token sync calls."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody

from api.checkin import door_lists, guests, services, sync_service, wire
from api.db import ScannerDevice, utcnow
from api.web import ratelimit
from api.web.deps import DB
from api.web.errors import error_responses

UNPAIRED = (
    "This device is not paired, or it was unpaired from the dashboard. Its scans are kept on "
    "the phone; pair it again with a new link to upload them."
)


class PairRequest(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(min_length=16, max_length=200)]
    """The code from the pairing link (`/scan#pair=CODE`)."""
    name: Annotated[str, msgspec.Meta(max_length=80)] = ""
    """A name for this door ("Gate B"); defaults to the door named in the link."""


class PairResponse(msgspec.Struct):
    device_id: uuid.UUID
    token: str
    """Bearer token for every later call. Shown once; the server keeps only its hash."""
    event_id: uuid.UUID
    event_name: str
    door: str
    may_search: bool = False
    list: str = "default"
    """The door list this phone applies (sync/PROTOCOL.md section 18)."""
    """This phone may download the guest list (`GET /guests`): a "scan and search" link."""


# OpenAPI: the scanner's bearer token (see SECURITY_SCHEMES in api/app.py).
DEVICE_SECURITY: list[dict[str, list[str]]] = [{"deviceToken": []}]


async def device_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Admit only requests bearing an active device token; the device rides in request state.

    A guard (not a dependency) on purpose: it runs before any dependency is resolved, so a
    refused request never leaves an opened database session behind.
    """
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    device = None
    if scheme.lower() == "bearer" and token.strip():
        async with connection.app.state.sessions() as session:
            device = await services.device_for_token(session, token=token.strip())
    if device is None:
        raise NotAuthorizedException(detail=UNPAIRED, headers={"WWW-Authenticate": "Bearer"})
    connection.state.device = device


def provide_device(request: Request[Any, Any, Any]) -> ScannerDevice:
    device: ScannerDevice = request.state.device
    return device


Device = NamedDependency[ScannerDevice]


APP_HEADER = "x-poctix-app"
"""The scanner version a phone runs, sent on every sync call (shown on the device list)."""


def app_version(request: Request[Any, Any, Any]) -> str | None:
    """The `X-Poctix-App` header, if it looks like a version (printable, at most 40)."""
    value = request.headers.get(APP_HEADER, "").strip()
    return value if value and len(value) <= 40 and value.isprintable() else None


def _now() -> int:
    return sync_service.millis(utcnow())


class PairingController(Controller):
    """The one scanner call without a device token: trading a pairing code for one."""

    path = "/api/v1/scanner"
    tags = ["scanner"]

    @post(
        "/pair",
        status_code=201,
        summary="Exchange a pairing code for a device token",
        guards=[ratelimit.PAIRING],
        responses=error_responses(400, 403, 415, 429),
    )
    async def pair(self, db: DB, data: JSONBody[PairRequest]) -> PairResponse:
        try:
            paired = await services.pair_device(db, code=data.code, name=data.name.strip())
        except services.PairingError as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from exc
        await db.commit()
        return PairResponse(
            device_id=paired.device.id,
            token=paired.token,
            event_id=paired.event.id,
            event_name=paired.event.name,
            door=paired.device.name,
            may_search=paired.device.may_search,
            list=door_lists.wire_list_id(paired.device.door_list_id),
        )


class ScannerController(Controller):
    """The calls of a paired phone: each bears its device token (`device_guard`), and the
    device rides in as the `device` dependency."""

    path = "/api/v1/scanner"
    tags = ["scanner"]
    guards = [device_guard]
    dependencies = {"device": Provide(provide_device, sync_to_thread=False)}
    security = DEVICE_SECURITY

    @get(
        "/bootstrap",
        responses=error_responses(401),
        summary="Event, public keys and the whole pass cache, as one snapshot",
    )
    async def bootstrap(self, db: DB, device: Device) -> wire.Bootstrap:
        answer, pack = await sync_service.bootstrap(db, device=device)
        await db.rollback()
        answer.passes.data = base64.b64encode(pack).decode()
        return answer

    @get(
        "/bootstrap/binary",
        responses=error_responses(401),
        media_type=wire.BOOTSTRAP_MEDIA_TYPE,
        summary="The bootstrap as bytes: its JSON answer, then the packed passes (the PWA's)",
        description=(
            '"PXB1", the answer\'s length as 4 bytes big-endian, the answer as JSON with an empty '
            "`passes.data`, then `passes.count` records of 13 bytes (pass key, status byte, tier "
            "index). Sent uncompressed: the pass keys are random bytes."
        ),
    )
    async def bootstrap_binary(self, db: DB, device: Device) -> Response[bytes]:
        answer, pack = await sync_service.bootstrap(db, device=device)
        await db.rollback()
        return Response(
            wire.frame_bootstrap(answer, pack),
            media_type=wire.BOOTSTRAP_MEDIA_TYPE,
            headers={"cache-control": "no-store"},
        )

    @post(
        "/push",
        status_code=200,
        responses=error_responses(400, 401, 403, 409, 415),
        summary="Upload this device's scans in seq order; answers the highest seq held",
    )
    async def push(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        device: Device,
        data: JSONBody[wire.PushRequest],
    ) -> wire.PushResponse:
        try:
            acked, refused = await sync_service.push(
                db,
                device=device,
                scans=data.scans,
                pending=data.pending,
                app_version=app_version(request),
            )
        except sync_service.PushRefused as exc:
            await db.rollback()
            error = exc.error
            status = 409 if error["code"] == "seq_gap" else 400
            raise HTTPException(
                status_code=status,
                detail=f"Push refused ({error['code']}): {error['message']}. Nothing was stored.",
                extra={"code": error["code"], "expected": error["expected"]},
            ) from exc
        await db.commit()
        return wire.PushResponse(acked=acked, server_time=_now(), refused=refused)

    @post(
        "/pull",
        status_code=200,
        responses=error_responses(400, 401, 403, 415),
        summary="Pass changes and other devices' scans not covered by a version vector",
    )
    async def pull(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        device: Device,
        data: JSONBody[wire.PullRequest],
    ) -> wire.PullResponse:
        changes, scans, more = await sync_service.pull(
            db,
            device=device,
            vector=data.vector,
            limit=data.limit,
            app_version=app_version(request),
        )
        lists: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET
        if data.lists_after is not None:
            lists = await door_lists.records(db, event_id=device.event_id, after=data.lists_after)
        await db.commit()
        return wire.PullResponse(
            changes=[msgspec.convert(c, wire.WirePassChange) for c in changes],
            scans=scans,
            more=more,
            server_time=_now(),
            lists=lists,
        )

    @get(
        "/conflicts",
        responses=error_responses(401),
        summary="Double admissions of this device's event",
    )
    async def conflicts(self, db: DB, device: Device) -> wire.ConflictList:
        found = await sync_service.conflicts(db, event_id=device.event_id)
        return wire.ConflictList(
            conflicts=[msgspec.convert(c, wire.ConflictWire) for c in found], server_time=_now()
        )

    @get(
        "/guests",
        responses=error_responses(401, 403),
        summary="The guest list to search offline (phones paired to scan and search)",
    )
    async def guest_list(self, db: DB, device: Device) -> wire.GuestList:
        try:
            event, rows = await guests.guest_rows(db, device=device)
        except guests.NoGuestList as exc:
            await db.rollback()
            raise HTTPException(status_code=403, detail=str(exc)) from exc
        erase_at = sync_service.millis(guests.names_until(event))
        await db.rollback()
        return wire.GuestList(
            guests=[wire.Guest(*row) for row in rows], erase_at=erase_at, server_time=_now()
        )
