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
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from api.lan.ca import Files
from e2e.conftest import LiveApp, _free_port


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
    database_url: str, tmp_path: Path, *, public_url: str, port: int | None = None
) -> Iterator[HttpsApp]:
    """The server on 127.0.0.1:`port`, making its links with `public_url` (BASE_URL)."""
    port = port or _free_port()
    secret = "e2e-secret-" + "x" * 40
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE", "SENTRY"))}
    env.update(
        DATABASE_URL=database_url, DATA_DIR=str(tmp_path), SECRET_KEY=secret, BASE_URL=public_url
    )
    output = tmp_path / "server.log"
    files = Files.under(tmp_path)
    command = ["run", "--demo", "--https", "--host", "127.0.0.1", "--port", str(port)]
    with (
        output.open("w") as log,
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", *command], env=env, stdout=log, stderr=log
        ) as proc,
    ):
        try:
            _wait_until_serving(proc, port, files, output)
            app = LiveApp(url=public_url, database_url=database_url, secret_key=secret,
                          output=output)  # fmt: skip
            yield HttpsApp(app=app, port=port, files=files)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    violations = [line for line in output.read_text().splitlines() if "csp violation" in line]
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def _wait_until_serving(
    proc: subprocess.Popen[bytes], port: int, files: Files, output: Path
) -> None:
    """Poll /healthz over HTTPS, checking the certificate against the server's new CA."""
    for _ in range(600):
        if files.ca_cert.is_file():
            trust = ssl.create_default_context(cafile=str(files.ca_cert))
            try:
                answer = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust, timeout=1)
                if answer.status_code == 200:
                    return
            except httpx.TransportError:
                pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.1)
        if proc.returncode is not None:
            pytest.fail(f"poctix run --https exited early:\n{output.read_text()}")
    pytest.fail(f"poctix run --https did not answer /healthz:\n{output.read_text()}")


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
