"""QR images of pass tokens: inline SVG for pages, PNG for emails.

Every code uses one fixed mask pattern. A QR encoder may pick any of the eight (ISO/IEC 18004
§7.8; the pattern is written in the format information and every decoder reads all eight);
qrcode's default is to lay the code out eight times and score each in pure Python, about 9 of
the 12 ms a pass's PNG took: under an on-sale burst, most of the outbox worker's time
(bench/README.md). Pass tokens are random base32 text, so no mask makes a markedly better
pattern than another; tests/test_qr.py decodes 2,000 random tokens with ZXing.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from markupsafe import Markup
from PIL import Image

MASK_PATTERN = 0
QUIET_ZONE = 4  # modules of white around the code, the minimum the standard asks for


def _qr(text: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=QUIET_ZONE,
        mask_pattern=MASK_PATTERN,
    )
    qr.add_data(text)
    qr.make(fit=True)
    return qr


def qr_svg(text: str) -> Markup:
    image = _qr(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return Markup(svg.split("?>", 1)[-1])  # noqa: S704  (our own SVG, no user input)


def qr_png(text: str, *, box_size: int = 8) -> bytes:
    """Black modules on white, `box_size` pixels each, quiet zone included: a 1-bit PNG.

    Drawn as one pixel per module and scaled up without smoothing, rather than through
    qrcode's PIL image factory, which draws each dark module as a rectangle (half the time).
    """
    matrix = _qr(text).get_matrix()
    side = len(matrix)
    # Mode "1" from bytes packs 8 pixels per byte; one byte per pixel in "L" is simpler.
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    small = Image.frombytes("L", (side, side), pixels).convert("1", dither=Image.Dither.NONE)
    image = small.resize((side * box_size, side * box_size), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
