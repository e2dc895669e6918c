"""Signed pass tokens: the QR payload every later feature relies on."""

from __future__ import annotations

import io

import pytest
import qrcode
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from api.passes import tokens

PRIVATE = Ed25519PrivateKey.generate()
KID = 0xC0FFEE01
KEYS = {KID: PRIVATE.public_key()}
PASS_KEY = bytes(range(11))
TOKEN = tokens.issue(private_key=PRIVATE, kid=KID, pass_key=PASS_KEY)


def test_token_is_uppercase_base32_of_fixed_length() -> None:
    assert len(TOKEN) == tokens.TOKEN_CHARS == 128
    assert set(TOKEN) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_valid_token_verifies_and_names_its_pass() -> None:
    check = tokens.verify(TOKEN, keys=KEYS)
    assert check.ok
    assert check.kid == KID
    assert check.pass_key == PASS_KEY


def test_scanner_input_with_whitespace_or_lower_case_still_verifies() -> None:
    assert tokens.verify(f"  {TOKEN.lower()}\n", keys=KEYS).ok


def test_qr_of_a_real_token_is_version_6_or_less_at_level_m_and_decodes_back() -> None:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(TOKEN)
    qr.make(fit=True)
    assert qr.version <= 6
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [TOKEN]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    # The encoder used alphanumeric mode: the same text in byte mode would need version 7.
    assert qr.data_list[0].mode == qrcode.util.MODE_ALPHA_NUM


def test_token_from_another_events_key_is_reported_as_unknown_key() -> None:
    other = tokens.issue(private_key=Ed25519PrivateKey.generate(), kid=7, pass_key=PASS_KEY)
    assert tokens.verify(other, keys=KEYS).reason == "unknown_key"


def test_token_signed_by_the_wrong_key_under_our_key_id_is_a_bad_signature() -> None:
    forged = tokens.issue(private_key=Ed25519PrivateKey.generate(), kid=KID, pass_key=PASS_KEY)
    assert tokens.verify(forged, keys=KEYS).reason == "bad_signature"


def test_future_version_is_rejected_as_unsupported() -> None:
    import base64

    raw = bytearray(base64.b32decode(TOKEN))
    raw[0] = 2
    assert tokens.verify(base64.b32encode(bytes(raw)).decode(), keys=KEYS).reason == (
        "unsupported_version"
    )


@pytest.mark.parametrize("text", ["", "A", TOKEN[:-1], TOKEN + "A", "1" * 128, "é" * 128])
def test_truncated_extended_and_garbage_tokens_are_malformed(text: str) -> None:
    assert tokens.verify(text, keys=KEYS).reason == "malformed"


@given(
    position=st.integers(0, 127), replacement=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
)
def test_any_single_character_change_never_verifies(position: int, replacement: str) -> None:
    if TOKEN[position] == replacement:
        return
    tampered = TOKEN[:position] + replacement + TOKEN[position + 1 :]
    check = tokens.verify(tampered, keys=KEYS)
    assert not check.ok
    assert check.reason in {"bad_signature", "unknown_key", "unsupported_version"}


@given(st.text(max_size=300))
def test_arbitrary_text_is_rejected_with_a_reason_never_an_exception(text: str) -> None:
    check = tokens.verify(text, keys=KEYS)
    assert not check.ok
    assert check.reason in {"malformed", "unsupported_version", "unknown_key", "bad_signature"}


@given(st.binary(min_size=80, max_size=80))
def test_arbitrary_well_formed_bytes_never_verify(raw: bytes) -> None:
    import base64

    check = tokens.verify(base64.b32encode(raw).decode(), keys=KEYS)
    assert not check.ok


@given(st.binary(min_size=11, max_size=11))
def test_pass_key_text_round_trips(key: bytes) -> None:
    text = tokens.pass_key_text(key)
    assert len(text) == 18
    assert tokens.parse_pass_key_text(text) == key


def test_golden_tokens_shared_with_the_browser_verifier_hold() -> None:
    import base64
    import json
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    document = json.loads((Path(__file__).parent / "fixtures" / "pass-tokens.json").read_text())
    keys = {
        k["kid"]: Ed25519PublicKey.from_public_bytes(
            base64.urlsafe_b64decode(k["public_key"] + "=" * (-len(k["public_key"]) % 4))
        )
        for k in document["keys"]
    }
    for case in document["cases"]:
        check = tokens.verify(case["text"], keys=keys)
        assert check.ok is case["ok"], case["name"]
        if case["ok"]:
            assert check.pass_key is not None
            assert tokens.pass_key_text(check.pass_key) == case["pass_id"], case["name"]
        else:
            assert check.reason == case["reason"], case["name"]
