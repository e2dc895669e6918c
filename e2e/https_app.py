"""`poctix run --https --demo` as a real process, and a Chromium that trusts its local CA.

The server makes its certificate authority in its DATA_DIR as it would on an organizer's laptop;
the browser then trusts that CA for real: it is imported into the NSS database Chromium reads on
Linux (`$HOME/.pki/nssdb`, made with `certutil` from libnss3-tools under a temporary HOME), so
Chromium checks the chain, the names and the usages as a phone would. Without certutil, the
server certificate's key is pinned instead (`--ignore-certificate-errors-spki-list`), which
proves less (no chain check) but still gives the page a secure context.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from api.lan.ca import Files
from e2e.conftest import LiveApp, _free_port, run_app
from e2e.relay import Relay


@dataclass(frozen=True)
class HttpsApp:
    app: LiveApp
    """`app.url` is the public URL (BASE_URL) the browser opens."""
    port: int
    """Where the server itself listens, on 127.0.0.1."""
    files: Files

    def printed(self, label: str) -> str:
        """The link `poctix run` printed after `label:` (as the organizer reads it)."""
        found = re.search(rf"^\s*{re.escape(label)}:\s+(\S+)$", self.app.output.read_text(), re.M)
        assert found, f"poctix run printed no {label!r} link:\n{self.app.output.read_text()}"
        return found.group(1)


@contextlib.contextmanager
def run_https_app(
    database_url: str,
    tmp_path: Path,
    *,
    public_url: str,
    port: int | None = None,
    relay: Relay | None = None,
) -> Iterator[HttpsApp]:
    """The server on 127.0.0.1:`port`, making its links with `public_url` (BASE_URL), behind
    `relay` when given."""
    port = port or _free_port()
    files = Files.under(tmp_path)

    def serving(port: int) -> bool:
        """/healthz answers over HTTPS with a certificate the server's new CA vouches for."""
        if not files.ca_cert.is_file():
            return False
        trust = ssl.create_default_context(cafile=str(files.ca_cert))
        with contextlib.suppress(httpx.TransportError):
            answer = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust, timeout=1)
            return answer.status_code == 200
        return False

    with run_app(
        database_url, tmp_path, args=("--https", "--host", "127.0.0.1"), port=port,
        public_url=public_url, ready=serving, relay=relay,
    ) as app:  # fmt: skip
        yield HttpsApp(app=app, port=port, files=files)


@dataclass(frozen=True)
class Trust:
    env: dict[str, str]
    """The browser's environment (HOME with the NSS database)."""
    args: list[str]
    how: str


def trust_local_ca(files: Files, home: Path) -> Trust:
    """What a Chromium launch needs to trust the server's certificate (see the module doc)."""
    certutil = shutil.which("certutil")
    if certutil is None:
        cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
        return Trust(env={}, args=[f"--ignore-certificate-errors-spki-list={pin}"], how="pinned")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    database = f"sql:{nssdb}"
    subprocess.run([certutil, "-N", "-d", database, "--empty-password"], check=True)
    subprocess.run(
        [certutil, "-A", "-d", database, "-n", "POCtix local CA", "-t", "C,,",
         "-i", str(files.ca_cert)],
        check=True,
    )  # fmt: skip
    return Trust(env={**os.environ, "HOME": str(home)}, args=[], how="trusted")
