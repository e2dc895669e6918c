"""Apple Wallet: a signed `.pkpass` for one pass.

A pkpass is a zip of `pass.json`, images, `manifest.json` (the SHA-1 hex of every other file) and
`signature`: a detached PKCS#7 (DER) signature of `manifest.json` by the pass type id's
certificate, carrying Apple's WWDR intermediate so iOS can build the chain to Apple's root.
Wallet refuses a pass whose manifest or signature does not match byte for byte, so the manifest is
computed from exactly the bytes that go into the zip.

The event has no coordinates yet, so `locations` is left out (Apple treats it as optional).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from PIL import Image, ImageDraw

from api.settings import Settings
from api.wallet.tickets import WalletSetupError, WalletTicket

MEDIA_TYPE = "application/vnd.apple.pkpass"
BACKGROUND = (17, 24, 39)
FOREGROUND = (255, 255, 255)
LABEL = (148, 163, 184)


@dataclass(frozen=True)
class AppleSigner:
    """The pass type id and what signs its passes."""

    pass_type_id: str
    team_id: str
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    wwdr: x509.Certificate


@functools.lru_cache(maxsize=4)
def load_signer(settings: Settings) -> AppleSigner:
    """Read the certificate, key and WWDR files once per settings (they change with a restart)."""
    if not settings.apple_wallet_enabled:
        raise WalletSetupError("Apple Wallet is not configured.")
    assert settings.apple_pass_cert
    assert settings.apple_wwdr_cert
    certificate = _certificate("APPLE_PASS_CERT", settings.apple_pass_cert)
    wwdr = _certificate("APPLE_WWDR_CERT", settings.apple_wwdr_cert)
    key_name, key_path = (
        ("APPLE_PASS_KEY", settings.apple_pass_key)
        if settings.apple_pass_key
        else ("APPLE_PASS_CERT", settings.apple_pass_cert)
    )
    password = settings.apple_pass_key_password.encode() or None
    try:
        key = serialization.load_pem_private_key(_read(key_name, key_path), password=password)
    except (ValueError, TypeError) as exc:
        # The message of these errors never repeats the password.
        raise WalletSetupError(
            f"{key_name}={key_path} holds no readable PEM private key (wrong or missing "
            "APPLE_PASS_KEY_PASSWORD?)"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise WalletSetupError(f"{key_name}={key_path} must be an RSA or EC private key.")
    if key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise WalletSetupError(f"{key_name}={key_path} is not the key of APPLE_PASS_CERT.")
    return AppleSigner(
        pass_type_id=settings.apple_pass_type_id,
        team_id=settings.apple_team_id,
        certificate=certificate,
        private_key=key,
        wwdr=wwdr,
    )


def _read(name: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise WalletSetupError(f"{name}={path} cannot be read: {exc.strerror}") from exc


def _certificate(name: str, path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(_read(name, path))
    except ValueError as exc:
        raise WalletSetupError(f"{name}={path} holds no PEM certificate.") from exc


def _rgb(color: tuple[int, int, int]) -> str:
    return f"rgb({color[0]}, {color[1]}, {color[2]})"


def pass_json(ticket: WalletTicket, *, pass_type_id: str, team_id: str) -> dict[str, Any]:
    """The pass description: event fields, the token as barcode, relevant date, void state."""
    barcode = {
        "format": "PKBarcodeFormatQR",
        "message": ticket.token,
        "messageEncoding": "iso-8859-1",
        "altText": ticket.pass_id,
    }
    starts = ticket.local(ticket.starts_at)
    # ignoresTimeZone: show the time as it is at the venue, not converted to the phone's zone.
    when = {"dateStyle": "PKDateStyleMedium", "timeStyle": "PKDateStyleShort"}
    secondary: list[dict[str, Any]] = [
        {"key": "starts", "label": "WHEN", "value": starts, "ignoresTimeZone": True, **when},
    ]
    if ticket.venue:
        secondary.append({"key": "venue", "label": "WHERE", "value": ticket.venue})
    auxiliary: list[dict[str, Any]] = [{"key": "tier", "label": "TICKET", "value": ticket.tier}]
    if ticket.holder:
        auxiliary.append({"key": "holder", "label": "NAME", "value": ticket.holder})
    document: dict[str, Any] = {
        "formatVersion": 1,
        "passTypeIdentifier": pass_type_id,
        "teamIdentifier": team_id,
        "serialNumber": ticket.pass_id,
        "organizationName": ticket.organizer,
        "description": f"Ticket for {ticket.event_name}",
        "logoText": ticket.organizer,
        "backgroundColor": _rgb(BACKGROUND),
        "foregroundColor": _rgb(FOREGROUND),
        "labelColor": _rgb(LABEL),
        "relevantDate": starts,
        # iOS 18 reads this list instead of relevantDate: the pass surfaces for the whole event.
        "relevantDates": [{"startDate": starts, "endDate": ticket.local(ticket.ends_at)}],
        "expirationDate": ticket.local(ticket.ends_at),
        "eventTicket": {
            "primaryFields": [{"key": "event", "label": "EVENT", "value": ticket.event_name}],
            "secondaryFields": secondary,
            "auxiliaryFields": auxiliary,
            "backFields": [
                {"key": "organizer", "label": "Organizer", "value": ticket.organizer},
                {"key": "pass", "label": "Pass", "value": ticket.pass_id},
                {
                    "key": "ends",
                    "label": "Ends",
                    "value": ticket.local(ticket.ends_at),
                    "ignoresTimeZone": True,
                    **when,
                },
            ],
        },
        "barcodes": [barcode],
        # iOS 8 and older read only the singular key.
        "barcode": barcode,
    }
    if not ticket.valid:
        document["voided"] = True
    return document


def manifest(files: dict[str, bytes]) -> bytes:
    """`manifest.json`: the SHA-1 hex digest of every file, keyed by its name in the zip."""
    digests = {
        name: hashlib.sha1(data, usedforsecurity=False).hexdigest() for name, data in files.items()
    }
    return json.dumps(digests, sort_keys=True, indent=2).encode()


def sign(data: bytes, *, signer: AppleSigner) -> bytes:
    """A detached PKCS#7 signature (DER) of `data`, with the WWDR intermediate included."""
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(signer.certificate, signer.private_key, hashes.SHA256())
        .add_certificate(signer.wwdr)
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )


def build_pkpass(ticket: WalletTicket, *, signer: AppleSigner) -> bytes:
    """The `.pkpass` file of one pass."""
    document = pass_json(ticket, pass_type_id=signer.pass_type_id, team_id=signer.team_id)
    files = {"pass.json": json.dumps(document, ensure_ascii=False, indent=2).encode(), **images()}
    files["manifest.json"] = manifest(files)
    files["signature"] = sign(files["manifest.json"], signer=signer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


@functools.cache
def images() -> dict[str, bytes]:
    """Icon and logo PNGs at 1x/2x/3x, drawn once: a ticket stub on the pass colour."""
    sizes = {"icon": (29, 29), "logo": (50, 50)}
    found: dict[str, bytes] = {}
    for name, (width, height) in sizes.items():
        for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")):
            found[f"{name}{suffix}.png"] = _ticket_png(width * scale, height * scale)
    return found


def _ticket_png(width: int, height: int) -> bytes:
    image = Image.new("RGBA", (width, height), (*BACKGROUND, 255))
    draw = ImageDraw.Draw(image)
    pad = max(2, width // 8)
    box = (pad, height // 4, width - pad, height - height // 4)
    draw.rounded_rectangle(box, radius=max(1, width // 12), fill=(*FOREGROUND, 255))
    notch = max(1, width // 10)
    middle = height // 2
    for x in (box[0], box[2]):
        draw.ellipse(
            (x - notch, middle - notch, x + notch, middle + notch), fill=(*BACKGROUND, 255)
        )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
