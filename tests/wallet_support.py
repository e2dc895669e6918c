"""Throwaway signing material and a sold order, shared by the Apple and Google Wallet tests."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Order, Pass
from api.passes import services
from api.settings import Settings
from tests import factories, pages


def wallet_buttons(page: str) -> list[tuple[str, str, str]]:
    """The passes page's wallet buttons, in page order: (wallet, link, wording) of each."""
    return [
        (str(link["data-wallet"]), str(link["href"]), pages.shown(link))
        for link in pages.parse(page).select("#passes li.pass a[data-wallet]")
    ]


@dataclasses.dataclass(frozen=True)
class AppleChain:
    root: x509.Certificate
    wwdr: x509.Certificate
    signing: x509.Certificate
    root_pem: Path
    wwdr_pem: Path
    cert_pem: Path
    key_pem: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(
    name: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    ca: bool,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def apple_chain(folder: Path, *, password: bytes | None = None) -> AppleChain:
    """A self-signed root, a WWDR-like intermediate under it, and a pass signing certificate."""
    root_key, wwdr_key, signing_key = _key(), _key(), _key()
    root = _certificate("Test Root CA", root_key, issuer=None, issuer_key=root_key, ca=True)
    wwdr = _certificate("Test WWDR", wwdr_key, issuer=root, issuer_key=root_key, ca=True)
    signing = _certificate(
        "Pass Type ID: pass.test.poctix", signing_key, issuer=wwdr, issuer_key=wwdr_key, ca=False
    )
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    pem = serialization.Encoding.PEM
    return AppleChain(
        root=root,
        wwdr=wwdr,
        signing=signing,
        root_pem=_pem(folder / "root.pem", root.public_bytes(pem)),
        wwdr_pem=_pem(folder / "wwdr.pem", wwdr.public_bytes(pem)),
        cert_pem=_pem(folder / "pass.pem", signing.public_bytes(pem)),
        key_pem=_pem(
            folder / "pass.key",
            signing_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption),
        ),
    )


def apple_settings(settings: Settings, chain: AppleChain, **more: object) -> Settings:
    values: dict[str, object] = {
        "apple_pass_type_id": "pass.test.poctix",
        "apple_team_id": "TEAM123456",
        "apple_pass_cert": chain.cert_pem,
        "apple_pass_key": chain.key_pem,
        "apple_wwdr_cert": chain.wwdr_pem,
        **more,
    }
    return dataclasses.replace(settings, **values)  # type: ignore[arg-type]


def google_service_account(folder: Path) -> tuple[Path, rsa.RSAPrivateKey]:
    """A service account key file shaped like the JSON Google Cloud hands out."""
    key = _key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    account = {
        "type": "service_account",
        "project_id": "poctix-test",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": "wallet@poctix-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = folder / "service-account.json"
    path.write_text(json.dumps(account))
    return path, key


async def sold_order(
    db: AsyncSession, settings: Settings, *, quantity: int = 2, buyer_name: str = "Ana Kealoha"
) -> tuple[Event, Order, list[Pass]]:
    """A published Honolulu event with an order of `quantity` valid passes, committed."""
    event = await factories.event(db, name="Sunset Session", timezone="Pacific/Honolulu")
    tier = await factories.tier(db, event=event, name="Floor")
    order = await factories.paid_order(db, event=event, tier=tier, quantity=quantity)
    order.buyer_name = buyer_name
    passes = await services.issue_passes(
        db, order=order, tier_id=tier.id, count=quantity, secret_key=settings.secret_key
    )
    await db.commit()
    return event, order, passes
