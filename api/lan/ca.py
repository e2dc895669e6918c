"""A local certificate authority in `DATA_DIR/local-ca`, and the server certificate it issues.

Built with `cryptography`, the library we already ship (passes, event keys): no `mkcert` or
`openssl` binary to install, no network, and it works the same on the embedded-PostgreSQL path
where nothing but the Python wheels is present.

The CA is made once and kept (phones trust it once, by hand); its key never leaves the folder
(0600). The server certificate is cheap: it is issued again whenever the names it must cover
change (a new LAN address), when it is close to expiry, or when the CA is not its issuer.
Apple devices refuse server certificates valid for more than 825 days and require the
serverAuth extended key usage and subject alternative names; we stay well inside that.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FOLDER = "local-ca"
CA_VALID_DAYS = 3650
SERVER_VALID_DAYS = 397
# Issue the server certificate again once it has fewer days than this left.
RENEW_BEFORE_DAYS = 30
# Clocks on phones drift: a certificate valid from "now" can look not-yet-valid to them.
BACKDATE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Files:
    """Where the CA and the server certificate live under DATA_DIR."""

    folder: Path

    @classmethod
    def under(cls, data_dir: Path) -> Files:
        return cls(data_dir / CA_FOLDER)

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def server_cert(self) -> Path:
        return self.folder / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.folder / "server-key.pem"


def read_ca_cert(data_dir: Path) -> x509.Certificate | None:
    """The local CA's certificate, or None when `poctix run --https` has never made one here."""
    path = Files.under(data_dir).ca_cert
    if not path.is_file():
        return None
    return x509.load_pem_x509_certificate(path.read_bytes())


def ensure_ca(data_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Load the local CA, making it the first time (the only time phones must be told)."""
    files = Files.under(data_dir)
    if files.ca_cert.is_file() and files.ca_key.is_file():
        cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{files.ca_key} is not the EC key POCtix made; move the folder away")
        return cert, key
    files.folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    # The host name tells two trial machines' CAs apart in a phone's list of profiles.
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "POCtix"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"POCtix local CA ({socket.gethostname()})"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + dt.timedelta(days=CA_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(files.ca_key, _key_pem(key))
    _write_public(files.ca_cert, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def ensure_server_cert(data_dir: Path, names: Iterable[str]) -> Files:
    """A server certificate for `names` (DNS names and IP addresses), issued again when needed."""
    files = Files.under(data_dir)
    ca_cert, ca_key = ensure_ca(data_dir)
    wanted = _alt_names(names)
    if not _still_good(files, ca_cert, wanted):
        _issue(files, ca_cert, ca_key, wanted)
    return files


def covered_names(cert: x509.Certificate) -> set[str]:
    """The DNS names and IP addresses a certificate is valid for, as text."""
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(v) for v in alt.get_values_for_type(x509.DNSName)} | {
        str(v) for v in alt.get_values_for_type(x509.IPAddress)
    }


def _alt_names(names: Iterable[str]) -> list[x509.GeneralName]:
    seen: dict[str, x509.GeneralName] = {}
    for raw in names:
        name = raw.strip().lower().rstrip(".")
        if not name or name in seen:
            continue
        try:
            seen[name] = x509.IPAddress(ipaddress.ip_address(name))
        except ValueError:
            seen[name] = x509.DNSName(name)
    return list(seen.values())


def _still_good(files: Files, ca_cert: x509.Certificate, wanted: list[x509.GeneralName]) -> bool:
    if not (files.server_cert.is_file() and files.server_key.is_file()):
        return False
    cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False  # the CA was made again: phones trust the new one only
    left = cert.not_valid_after_utc - dt.datetime.now(dt.UTC)
    wanted_text = {str(n.value) for n in wanted}
    return left > dt.timedelta(days=RENEW_BEFORE_DAYS) and covered_names(cert) == wanted_text


def _issue(
    files: Files,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    names: list[x509.GeneralName],
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    first = str(names[0].value) if names else "localhost"
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + dt.timedelta(days=SERVER_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(files.server_key, _key_pem(key))
    _write_public(files.server_cert, cert.public_bytes(serialization.Encoding.PEM))


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    """Written to a 0600 file first and moved into place: the key is never readable by others,
    not even for a moment, and a crash leaves the old file or the new one, never half of one."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(temporary, path)


def _write_public(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
