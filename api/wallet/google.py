"""Google Wallet: a "Save to Google Wallet" link for one pass.

The link is `https://pay.google.com/gp/v/save/<jwt>`: a JWT signed (RS256) by a service account
that is a user of the issuer, carrying the event ticket class (the event) and object (the pass).
Google creates both on first save; the object's barcode is the same pass token as the QR.

The JWS is encoded here with `cryptography` (base64url header and claims, RSASSA-PKCS1-v1_5 with
SHA-256) rather than adding PyJWT: it is a dozen lines and the only JWT this app writes.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from api.settings import Settings
from api.wallet.tickets import WalletSetupError, WalletTicket

SAVE_URL = "https://pay.google.com/gp/v/save/"
BACKGROUND = "#111827"


@dataclass(frozen=True)
class GoogleSigner:
    """The issuer and the service account that signs its save links."""

    issuer_id: str
    client_email: str
    key_id: str
    private_key: rsa.RSAPrivateKey


@functools.lru_cache(maxsize=4)
def load_signer(settings: Settings) -> GoogleSigner:
    """Read the service account's JSON key file once per settings."""
    path = settings.google_wallet_service_account
    if not settings.google_wallet_enabled or path is None:
        raise WalletSetupError("Google Wallet is not configured.")
    name = "GOOGLE_WALLET_SERVICE_ACCOUNT"
    try:
        account = json.loads(path.read_bytes())
    except OSError as exc:
        raise WalletSetupError(f"{name}={path} cannot be read: {exc.strerror}") from exc
    except ValueError as exc:
        raise WalletSetupError(f"{name}={path} is not JSON.") from exc
    if not isinstance(account, dict) or not all(
        isinstance(account.get(k), str) for k in ("client_email", "private_key")
    ):
        raise WalletSetupError(
            f"{name}={path} is not a service account key (client_email, private_key)."
        )
    try:
        key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise WalletSetupError(f"{name}={path} holds no readable private_key.") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise WalletSetupError(f"{name}={path}: private_key must be an RSA key.")
    return GoogleSigner(
        issuer_id=settings.google_wallet_issuer_id,
        client_email=account["client_email"],
        key_id=str(account.get("private_key_id", "")),
        private_key=key,
    )


def _text(value: str) -> dict[str, Any]:
    return {"defaultValue": {"language": "en-US", "value": value}}


def class_id(ticket: WalletTicket, *, issuer_id: str) -> str:
    # The event id, not its slug: a slug can be edited, a class id cannot.
    return f"{issuer_id}.event-{ticket.event_id.hex}"


def ticket_class(ticket: WalletTicket, *, issuer_id: str) -> dict[str, Any]:
    """The event as a Google Wallet event ticket class."""
    found: dict[str, Any] = {
        "id": class_id(ticket, issuer_id=issuer_id),
        "issuerName": ticket.organizer,
        "reviewStatus": "UNDER_REVIEW",
        "eventName": _text(ticket.event_name),
        "dateTime": {
            "start": ticket.local(ticket.starts_at),
            "end": ticket.local(ticket.ends_at),
        },
        "hexBackgroundColor": BACKGROUND,
    }
    if ticket.venue:
        found["venue"] = {"name": _text(ticket.venue), "address": _text(ticket.venue)}
    return found


def ticket_object(ticket: WalletTicket, *, issuer_id: str) -> dict[str, Any]:
    """The pass as a Google Wallet event ticket object; a void pass is INACTIVE."""
    found: dict[str, Any] = {
        "id": f"{issuer_id}.{ticket.pass_id}",
        "classId": class_id(ticket, issuer_id=issuer_id),
        "state": "ACTIVE" if ticket.valid else "INACTIVE",
        "barcode": {"type": "QR_CODE", "value": ticket.token, "alternateText": ticket.pass_id},
        "ticketType": _text(ticket.tier),
        "ticketNumber": ticket.pass_id,
    }
    if ticket.holder:
        found["ticketHolderName"] = ticket.holder
    return found


def claims(
    ticket: WalletTicket, *, signer: GoogleSigner, origin: str, now: int | None = None
) -> dict[str, Any]:
    """The JWT claims of a save link for one pass."""
    return {
        "iss": signer.client_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(time.time()) if now is None else now,
        "origins": [origin],
        "payload": {
            "eventTicketClasses": [ticket_class(ticket, issuer_id=signer.issuer_id)],
            "eventTicketObjects": [ticket_object(ticket, issuer_id=signer.issuer_id)],
        },
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode_jwt(payload: dict[str, Any], *, key: rsa.RSAPrivateKey, key_id: str = "") -> str:
    """A compact JWS (RFC 7515) signed with RS256."""
    header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
    if key_id:
        header["kid"] = key_id
    compact = json.dumps(header, separators=(",", ":")).encode()
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    signing_input = f"{_b64url(compact)}.{_b64url(body)}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def save_link(ticket: WalletTicket, *, signer: GoogleSigner, origin: str) -> str:
    """`https://pay.google.com/gp/v/save/<jwt>` for one pass."""
    token = encode_jwt(
        claims(ticket, signer=signer, origin=origin), key=signer.private_key, key_id=signer.key_id
    )
    return SAVE_URL + token
