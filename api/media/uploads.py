"""Reading an uploaded image out of a multipart form, for the dashboard's forms and the operator's
API alike.

The body is declared as the parsed form (`UploadForm`), never as a bare `UploadFile`: Litestar
answers a multipart body without a file part with a 500 (StopIteration) before the handler runs
when the body is declared as a bare file. At most MAX_BYTES + 1 bytes are read, so an oversized
file is refused for its size (`api.media.images.store_image`) without being read whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from api.errors import Invalid
from api.media.images import MAX_BYTES

UploadForm = Annotated[
    dict[str, Any],
    Body(
        media_type=RequestEncodingType.MULTI_PART,
        description="The image (PNG, JPEG or WebP) as a file part, under any field name.",
    ),
]

UPLOAD_LIMIT = MAX_BYTES + 64 * 1024
"""The largest request body an upload route takes: the largest image and the form around it."""


async def read_upload(form: Mapping[str, Any], field: str | None, *, missing: str) -> bytes:
    """The first file part under `field` (under any name when None); Invalid(`missing`) when
    there is none."""
    values = [form.get(field)] if field is not None else list(form.values())
    parts = [part for value in values for part in (value if isinstance(value, list) else [value])]
    upload = next((part for part in parts if isinstance(part, UploadFile)), None)
    if upload is None:
        raise Invalid(missing)
    return await upload.read(MAX_BYTES + 1)
