"""The embed form's token: proof that a checkout POST comes from a form this site rendered, for
this event and this partner site, within the last hours, with no cookie involved.

Why not Litestar's CSRF cookie: the embed lives in a partner's page, so it is a third-party
frame; the CSRF cookie is `SameSite=Lax` and browsers neither store nor send it there ("CSRF
token verification failed" was what a buyer got). The checkout acts on no ambient authority of
the visitor (no session is read: the buyer is who the email field says), so there is nothing for
a forged cross-site POST to ride on; what the token adds is that the attribution (the partner)
and the event are the ones the form was rendered for, signed, and that an old page is refused.

`v1.{event id}.{partner id}.{issued, unix seconds}.{HMAC-SHA256, base64url}` with a key of its
own derived from SECRET_KEY (api/crypto.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

from api.crypto import derive_key

LIFETIME = 4 * 3600
"""A page left open for an afternoon still sells; a token copied for later does not."""
_PURPOSE = b"poctix partner embed form v1"


@dataclass(frozen=True)
class FormToken:
    event_id: uuid.UUID
    partner_id: uuid.UUID


def _mac(secret_key: str, payload: str) -> str:
    digest = hmac.new(derive_key(secret_key, _PURPOSE), payload.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def issue(
    secret_key: str, *, event_id: uuid.UUID, partner_id: uuid.UUID, now: float | None = None
) -> str:
    issued = int(time.time() if now is None else now)
    payload = f"v1.{event_id.hex}.{partner_id.hex}.{issued}"
    return f"{payload}.{_mac(secret_key, payload)}"


def read(secret_key: str, token: str, *, now: float | None = None) -> FormToken | None:
    """The token's event and partner, or None when it is altered, malformed or too old."""
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != "v1" or len(token) > 200:
        return None
    payload = ".".join(parts[:4])
    if not hmac.compare_digest(_mac(secret_key, payload), parts[4]):
        return None
    try:
        event_id, partner_id, issued = uuid.UUID(parts[1]), uuid.UUID(parts[2]), int(parts[3])
    except ValueError:
        return None
    age = (time.time() if now is None else now) - issued
    if not -60 <= age <= LIFETIME:
        return None
    return FormToken(event_id=event_id, partner_id=partner_id)
