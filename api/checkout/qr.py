"""QR images of pass tokens: inline SVG for pages, PNG for emails."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def _qr(token: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(token)
    qr.make(fit=True)
    return qr


def qr_svg(token: str) -> Markup:
    image = _qr(token).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return Markup(svg.split("?>", 1)[-1])  # noqa: S704  (our own SVG, no user input)


def qr_png(token: str, *, box_size: int = 8) -> bytes:
    qr = _qr(token)
    qr.box_size = box_size
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer)
    return buffer.getvalue()
