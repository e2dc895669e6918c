"""QR images of passes: one fixed mask (api/passes/qr.py), and every code still scans."""

from __future__ import annotations

import base64
import io
import random

import pytest
import qrcode
import zxingcpp
from PIL import Image

from api.passes import tokens
from api.passes.qr import qr_png, qr_svg


def random_token(rng: random.Random) -> str:
    """Text shaped like an issued pass token: 80 random bytes as upper-case base32."""
    return base64.b32encode(rng.randbytes(tokens.TOKEN_BYTES)).decode("ascii")


def decoded(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]


def test_email_qr_of_every_one_of_2000_random_tokens_scans_back_to_its_token() -> None:
    rng = random.Random(14_21)
    unread = []
    for _ in range(2000):
        token = random_token(rng)
        if decoded(qr_png(token)) != [token]:
            unread.append(token)
    assert unread == []


def test_email_qr_is_a_version_6_code_at_level_m_with_its_quiet_zone() -> None:
    png = qr_png(random_token(random.Random(6)))
    image = Image.open(io.BytesIO(png))
    # Version 6 is 41 modules a side; 4 white modules each side; 8 pixels a module.
    assert image.size == ((41 + 2 * 4) * 8,) * 2
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].ec_level == "M"
    assert image.convert("L").getpixel((0, 0)) == 255


def test_codes_are_drawn_without_trying_every_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mask search was most of a confirmation's rendering time under an on-sale burst."""

    def search(self: qrcode.QRCode) -> int:
        raise AssertionError("qrcode searched for a mask pattern")

    monkeypatch.setattr(qrcode.QRCode, "best_mask_pattern", search)
    token = random_token(random.Random(1))
    assert decoded(qr_png(token)) == [token]
    assert "<svg" in qr_svg(token)
