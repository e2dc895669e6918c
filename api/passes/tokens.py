"""Signed pass tokens: what the QR code says.

Layout (80 bytes, so the base32 text is exactly 128 characters with no padding bits):

    version (1) | key id (4, big-endian) | pass key (11, random) | Ed25519 signature (64)

The signature covers the first 16 bytes. The text is RFC 4648 base32 without padding, upper
case, so a QR encoder can use alphanumeric mode: a token is a version-6 QR at error correction M.
Because 80 bytes is a multiple of 5, every token has exactly one spelling; no two strings decode
to the same pass.

`verify` never raises on bad input: it answers a `TokenCheck` with a stable reason code
(`malformed`, `unsupported_version`, `unknown_key`, `bad_signature`). The scanner maps
`unknown_key` to its `wrong_event` verdict: key ids are unique across all events.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
PASS_KEY_BYTES = 11
_SIGNED_BYTES = 1 + 4 + PASS_KEY_BYTES
TOKEN_BYTES = _SIGNED_BYTES + 64
TOKEN_CHARS = TOKEN_BYTES * 8 // 5


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """The outcome of verifying a token: `ok`, or a `reason` code."""

    ok: bool
    reason: str | None = None
    kid: int | None = None
    pass_key: bytes | None = None


def new_pass_key() -> bytes:
    return secrets.token_bytes(PASS_KEY_BYTES)


def new_kid() -> int:
    return secrets.randbits(32)


def issue(*, private_key: Ed25519PrivateKey, kid: int, pass_key: bytes) -> str:
    """The token text for one pass. Ed25519 is deterministic: the same pass gives the same text."""
    if len(pass_key) != PASS_KEY_BYTES:
        raise ValueError(f"pass_key must be {PASS_KEY_BYTES} bytes")
    if not 0 <= kid < 2**32:
        raise ValueError("kid must fit in 32 bits")
    body = bytes([VERSION]) + kid.to_bytes(4, "big") + pass_key
    return base64.b32encode(body + private_key.sign(body)).decode("ascii")


def pass_key_text(pass_key: bytes) -> str:
    """The pass key as compact text (base32, 18 characters), the lookup key on the wire."""
    return base64.b32encode(pass_key + b"\0").decode("ascii")[:18]


def parse_pass_key_text(text: str) -> bytes | None:
    """Inverse of `pass_key_text`; None for anything that is not one."""
    if len(text) != 18:
        return None
    try:
        raw = base64.b32decode(text.upper() + "AAAAAA", casefold=False)
    except (binascii.Error, ValueError):
        return None
    key = raw[:PASS_KEY_BYTES]
    return key if pass_key_text(key) == text.upper() else None


def decode(text: str) -> TokenCheck:
    """Check the token's shape and version without verifying the signature."""
    cleaned = text.strip().upper()
    if len(cleaned) != TOKEN_CHARS or not cleaned.isascii():
        return TokenCheck(ok=False, reason="malformed")
    try:
        raw = base64.b32decode(cleaned)
    except (binascii.Error, ValueError):
        return TokenCheck(ok=False, reason="malformed")
    if raw[0] != VERSION:
        return TokenCheck(ok=False, reason="unsupported_version")
    kid = int.from_bytes(raw[1:5], "big")
    return TokenCheck(ok=True, kid=kid, pass_key=raw[5:_SIGNED_BYTES])


def verify(text: str, *, keys: Mapping[int, Ed25519PublicKey]) -> TokenCheck:
    """Verify a token against the public keys of one event (key id → key)."""
    shape = decode(text)
    if not shape.ok:
        return shape
    assert shape.kid is not None
    key = keys.get(shape.kid)
    if key is None:
        return TokenCheck(ok=False, reason="unknown_key", kid=shape.kid)
    raw = base64.b32decode(text.strip().upper())
    try:
        key.verify(raw[_SIGNED_BYTES:], raw[:_SIGNED_BYTES])
    except InvalidSignature:
        return TokenCheck(ok=False, reason="bad_signature", kid=shape.kid)
    return shape
