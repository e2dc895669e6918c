"""Image uploads: type and size checked, re-encoded with Pillow, stored by content hash.

Re-encoding drops every byte the uploader chose (EXIF with GPS positions, comments, polyglot
payloads); only pixels survive. Files are named by the SHA-256 of what we wrote, so a stored file
never changes and can be served with a year-long immutable cache.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from api.errors import Invalid

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2000
MAX_PIXELS = 40_000_000
"""Width times height we decode at most: a 5 MB PNG can claim 100,000 x 100,000 pixels."""
ALLOWED = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# Pillow's own guard, for any other path that decodes: it only warns up to twice this and
# raises above. Uploads are refused at MAX_PIXELS itself, from the header (`_header`).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageError(Invalid, ValueError):
    """The upload is not an image we accept; the message says why."""


def media_dir(data_dir: Path) -> Path:
    return data_dir / "media"


def store_image(raw: bytes, *, data_dir: Path) -> str:
    """Check, re-encode and store an uploaded image; return its file name."""
    if len(raw) > MAX_BYTES:
        raise ImageError("The image is larger than 5 MB.")
    if not raw:
        raise ImageError("The file is empty.")
    width, height = _header(raw)
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"Images may have at most {MAX_PIXELS // 1_000_000} megapixels; this one has "
            f"{width * height / 1_000_000:.1f} ({width} x {height})."
        )
    try:
        with Image.open(io.BytesIO(raw), formats=list(ALLOWED)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(raw), formats=list(ALLOWED)) as image:
            image.load()
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


def _header(raw: bytes) -> tuple[int, int]:
    """The size a PNG, JPEG or WebP says it has, read from its header without decoding.

    Each allowed format's parser is called directly: `Image.open` would first apply Pillow's
    decompression-bomb check, which only warns below twice its limit and, above it, raises
    without saying the size, so the uploader could not be told how far over they are.
    """
    Image.init()
    prefix = raw[:16]
    for kind in ALLOWED:
        factory, accept = Image.OPEN[kind]
        if accept is not None and accept(prefix) is not True:
            continue
        try:
            with factory(io.BytesIO(raw), "") as image:
                return image.size
        except (OSError, SyntaxError, IndexError, TypeError, ValueError):
            continue
    raise ImageError(
        "Upload a PNG, JPEG or WebP image."
        if _some_other_image(raw)
        else "This file is not a readable PNG, JPEG or WebP image."
    )


def _some_other_image(raw: bytes) -> bool:
    """Whether Pillow knows the file as another format (a GIF, a BMP): for the message only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)):
                return True
    except Image.DecompressionBombError:
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
