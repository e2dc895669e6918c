"""Serving stored images and the operator's upload endpoints."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import Body, FromPath

from api import audit
from api.admin.auth import OPERATOR_SECURITY, operator_guard
from api.db import Event, Organizer
from api.errors import Invalid
from api.media.images import MAX_BYTES, ImageError, media_dir, store_image
from api.web.deps import DB, AppSettings
from api.web.errors import error_responses

NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg)")
TYPES = {"png": "image/png", "jpg": "image/jpeg"}


class Stored(msgspec.Struct):
    url: str


@get("/media/{name:str}", include_in_schema=False)
async def media(settings: AppSettings, name: FromPath[str]) -> Response[bytes]:
    if not NAME.fullmatch(name):
        raise NotFoundException(detail="No such image.")
    path = media_dir(settings.data_dir) / name
    if not path.is_file():
        raise NotFoundException(detail="No such image.")
    return Response(
        path.read_bytes(),
        media_type=TYPES[name.rsplit(".", 1)[1]],
        headers={"Cache-Control": "public, max-age=31536000, immutable",
                 "X-Content-Type-Options": "nosniff"},
    )  # fmt: skip


# The form as parsed, not `UploadFile`: Litestar answers a multipart body without a file part
# with a 500 (StopIteration) before the handler runs when the body is declared as a bare file.
Upload = Annotated[
    dict[str, Any],
    Body(
        media_type=RequestEncodingType.MULTI_PART,
        description="The image (PNG, JPEG or WebP) as a file part, under any field name.",
    ),
]


async def _read(data: dict[str, Any]) -> bytes:
    parts = [
        part for value in data.values() for part in (value if isinstance(value, list) else [value])
    ]
    upload = next((part for part in parts if isinstance(part, UploadFile)), None)
    if upload is None:
        raise Invalid("Send the image as a multipart file upload.")
    raw = await upload.read(MAX_BYTES + 1)
    return raw


class ImageUploads(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    guards = [operator_guard]
    security = OPERATOR_SECURITY
    request_max_body_size = MAX_BYTES + 64 * 1024

    @put(
        "/organizers/{organizer_id:uuid}/logo",
        summary="Upload the organizer's logo",
        responses=error_responses(400, 401, 403, 404, 413, 415, 429),
    )
    async def logo(
        self, db: DB, settings: AppSettings, organizer_id: FromPath[uuid.UUID], data: Upload
    ) -> Stored:
        organizer = await db.get(Organizer, organizer_id)
        if organizer is None:
            raise NotFoundException(detail="No such organizer.")
        organizer.logo_path = _store(await _read(data), settings)
        audit.record(db, organizer_id=organizer.id, actor="operator", action="logo.uploaded",
                     details={"image": organizer.logo_path})  # fmt: skip
        await db.commit()
        return Stored(url=f"/media/{organizer.logo_path}")

    @put(
        "/events/{event_id:uuid}/image",
        summary="Upload the event's image",
        responses=error_responses(400, 401, 403, 404, 413, 415, 429),
    )
    async def event_image(
        self, db: DB, settings: AppSettings, event_id: FromPath[uuid.UUID], data: Upload
    ) -> Stored:
        event = await db.get(Event, event_id)
        if event is None:
            raise NotFoundException(detail="No such event.")
        event.image_path = _store(await _read(data), settings)
        audit.record(db, organizer_id=event.organizer_id, actor="operator",
                     action="event.image_uploaded", target=str(event.id),
                     details={"image": event.image_path})  # fmt: skip
        await db.commit()
        return Stored(url=f"/media/{event.image_path}")


def _store(raw: bytes, settings: Any) -> str:
    try:
        return store_image(raw, data_dir=settings.data_dir)
    except ImageError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
