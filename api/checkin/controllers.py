"""The scanner's JSON API (`/api/v1/scanner/…`)."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.exceptions import HTTPException
from litestar.params import JSONBody

from api.checkin import services
from api.web.deps import DB


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


class ScannerController(Controller):
    path = "/api/v1/scanner"
    tags = ["scanner"]

    @post("/pair", status_code=201, summary="Exchange a pairing code for a device token")
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
        )
