"""Image uploads: type and size checked, re-encoded with Pillow, stored by content hash.

Re-encoding drops every byte the uploader chose (EXIF with GPS positions, comments, polyglot
payloads); only pixels survive. Files are named by the SHA-256 of what we wrote, so a stored file
never changes and can be served with a year-long immutable cache.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2000
ALLOWED = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs early


class ImageError(ValueError):
    """The upload is not an image we accept; the message says why."""


def media_dir(data_dir: Path) -> Path:
    return data_dir / "media"


def store_image(raw: bytes, *, data_dir: Path) -> str:
    """Check, re-encode and store an uploaded image; return its file name."""
    if len(raw) > MAX_BYTES:
        raise ImageError("The image is larger than 5 MB.")
    if not raw:
        raise ImageError("The file is empty.")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            if kind not in ALLOWED:
                raise ImageError("Upload a PNG, JPEG or WebP image.")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            has_alpha = image.mode in ("RGBA", "LA", "P")
            clean = image.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ImageError("This file is not a readable PNG, JPEG or WebP image.") from exc
    buffer = io.BytesIO()
    if has_alpha:
        clean.save(buffer, format="PNG", optimize=True)
        extension = "png"
    else:
        clean.save(buffer, format="JPEG", quality=85, optimize=True)
        extension = "jpg"
    data = buffer.getvalue()
    name = f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"
    folder = media_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    return name
