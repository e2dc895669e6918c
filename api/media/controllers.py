"""Serving stored images: `/media/{name}`, named by content hash, cached for a year.

Uploads come in through the dashboard's forms and the operator's API (`api.admin`), which read
them with `api.media.uploads` and store them with `api.media.images`.
"""

from __future__ import annotations

import re

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from api.media.images import media_dir
from api.web.deps import AppSettings

NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg)")
TYPES = {"png": "image/png", "jpg": "image/jpeg"}


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
