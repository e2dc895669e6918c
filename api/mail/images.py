"""The pictures an email carries: QR codes of passes, the organizer's logo, the event image.

Uploads live in the media folder (`api.media.images.media_dir`), up to 2000 px a side; an email
needs far less, so each is scaled down to what the message shows (at twice the CSS size, for
sharp screens) and kept in a small cache: stored files are named by their content hash and never
change, so the work is done once per image, not once per message. A missing, unreadable or
foreign file is left out with a warning rather than holding the tickets back.

These functions read files and encode PNGs: run them in a thread, not on the event loop.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from api.mail.message import InlineImage
from api.media.images import media_dir
from api.passes.qr import qr_png

log = logging.getLogger(__name__)
LOGO_BOX = (480, 96)  # shown 48 px high
EVENT_BOX = (1104, 1104)  # shown 552 px wide
_SUBTYPES = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif", "WEBP": "webp"}


@functools.lru_cache(maxsize=64)
def _fitted(path: Path, changed: int, box: tuple[int, int]) -> tuple[bytes, str] | None:
    """The image at `path` (as of `changed`, its mtime) within `box`, as (bytes, subtype)."""
    try:
        with Image.open(path) as image:
            subtype = _SUBTYPES.get(image.format or "")
            if subtype is None:
                return None
            if image.width <= box[0] and image.height <= box[1]:
                return path.read_bytes(), subtype
            image.thumbnail(box)
            alpha = image.mode in ("RGBA", "LA", "P")
            buffer = io.BytesIO()
            if alpha:
                image.convert("RGBA").save(buffer, format="PNG", optimize=True)
                return buffer.getvalue(), "png"
            image.convert("RGB").save(buffer, format="JPEG", quality=85, optimize=True)
            return buffer.getvalue(), "jpeg"
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None


def media_image(
    data_dir: Path, name: str | None, *, cid: str, box: tuple[int, int]
) -> InlineImage | None:
    """The uploaded image `name` (relative to the media folder) fitted to `box`, or None."""
    if not name:
        return None
    root = media_dir(data_dir).resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        log.warning("email image %r is not a file in the media folder; left out", name)
        return None
    fitted = _fitted(path, path.stat().st_mtime_ns, box)
    if fitted is None:
        log.warning("email image %r is not a readable PNG, JPEG, GIF or WebP; left out", name)
        return None
    data, subtype = fitted
    return InlineImage(
        cid=cid, data=data, subtype=subtype, filename=f"{cid.split('@')[0]}.{subtype}"
    )


def qr_image(token: str, *, cid: str) -> InlineImage:
    """A pass's QR code, as on the passes page: black on white with its quiet zone."""
    return InlineImage(
        cid=cid, data=qr_png(token), subtype="png", filename=f"{cid.split('@')[0]}.png"
    )
