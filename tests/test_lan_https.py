"""`poctix run --https`: the local certificate authority, the server certificate it issues,
the QR codes printed for phones and the /ca page that hands the authority to them."""

from __future__ import annotations

import hashlib
import ssl
import stat
from pathlib import Path

import click
import pytest
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from api.lan import ca
from api.lan.serve import lan_address, plan_https
from api.lan.terminal import qr_text
from api.settings import Settings
from tests import pages


def _handshake(files: ca.Files, ca_file: Path, server_name: str) -> None:
    """A real TLS handshake in memory: OpenSSL checks the chain, the usages and the name."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.server_cert, files.server_key)
    client_ctx = ssl.create_default_context(cafile=str(ca_file))
    pipes = [ssl.MemoryBIO() for _ in range(4)]  # client in/out, server in/out
    client = client_ctx.wrap_bio(pipes[0], pipes[1], server_hostname=server_name)
    server = server_ctx.wrap_bio(pipes[2], pipes[3], server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for name, end in (("client", client), ("server", server)):
            if not done[name]:
                try:
                    end.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        pipes[2].write(pipes[1].read())
        pipes[0].write(pipes[3].read())
        if all(done.values()):
            return
    pytest.fail("the TLS handshake did not finish")


def test_the_local_ca_is_made_once_and_its_key_is_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    first, _ = ca.ensure_ca(tmp_path)
    again, _ = ca.ensure_ca(tmp_path)
    assert first == again
    files = ca.Files.under(tmp_path)
    assert stat.S_IMODE(files.ca_key.stat().st_mode) == 0o600
    constraints = first.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca


@pytest.mark.parametrize("name", ["door.test", "10.1.2.3", "localhost", "127.0.0.1"])
def test_a_browser_trusting_the_local_ca_accepts_the_server_under_each_of_its_names(
    tmp_path: Path, name: str
) -> None:
    plan = plan_https(
        data_dir=tmp_path,
        base_url="http://127.0.0.1:8000",
        port=8443,
        host="10.1.2.3",
        extra_names=["door.test"],
        environ={},
    )
    files = ca.Files.under(tmp_path)
    _handshake(files, files.ca_cert, name)
    assert stat.S_IMODE(plan.keyfile.stat().st_mode) == 0o600


def test_a_name_the_certificate_does_not_cover_is_refused(tmp_path: Path) -> None:
    plan_https(data_dir=tmp_path, base_url="", port=8443, host="10.1.2.3", environ={})
    files = ca.Files.under(tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(files, files.ca_cert, "elsewhere.example")


def test_the_server_certificate_is_issued_again_when_the_lan_address_changes(
    tmp_path: Path,
) -> None:
    def run_on(address: str) -> bytes:
        plan = plan_https(data_dir=tmp_path, base_url="", port=8443, host=address, environ={})
        return plan.certfile.read_bytes()

    at_home = run_on("192.168.1.20")
    ca_before = ca.Files.under(tmp_path).ca_cert.read_bytes()
    assert run_on("192.168.1.20") == at_home  # same names: the same certificate is kept
    at_venue = run_on("10.0.0.7")
    assert at_venue != at_home
    assert "10.0.0.7" in ca.covered_names(x509.load_pem_x509_certificate(at_venue))
    assert ca.Files.under(tmp_path).ca_cert.read_bytes() == ca_before  # phones keep trusting


def test_links_use_the_lan_address_unless_base_url_was_set(tmp_path: Path) -> None:
    lan = plan_https(data_dir=tmp_path, base_url="http://127.0.0.1:8000", port=8443, environ={})
    assert lan.base_url == f"https://{lan_address()}:8443"
    assert lan.bind_host == "0.0.0.0"  # noqa: S104
    assert lan.ca_page == f"{lan.base_url}/ca"

    chosen = plan_https(
        data_dir=tmp_path,
        base_url="https://door.test:9443/",
        port=8443,
        environ={"BASE_URL": "https://door.test:9443/"},
    )
    assert chosen.base_url == "https://door.test:9443"
    assert "door.test" in chosen.names
    assert "door.test" in ca.covered_names(
        x509.load_pem_x509_certificate(chosen.certfile.read_bytes())
    )


def test_an_http_base_url_with_https_is_refused_with_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(click.UsageError, match="unset BASE_URL"):
        plan_https(
            data_dir=tmp_path,
            base_url="http://127.0.0.1:8000",
            port=8000,
            environ={"BASE_URL": "http://127.0.0.1:8000"},
        )


def test_the_printed_qr_code_reads_back_as_the_link() -> None:
    link = "https://192.168.1.20:8000/scan#pair=ABCDEFGHJKLMNPQR"
    rows = qr_text(link).splitlines()
    # Each character is two pixels high; the terminal's text is light, its background dark.
    top = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0), "\xa0": (0, 0)}
    width = max(len(row) for row in rows)
    image = Image.new("L", (width * 4 + 16, len(rows) * 8 + 16), 0)
    for y, row in enumerate(rows):
        for x, char in enumerate(row):
            upper, lower = top[char]
            for half, light in ((0, upper), (1, lower)):
                if light:
                    left, upper_edge = 8 + x * 4, 8 + y * 8 + half * 4
                    image.paste(255, (left, upper_edge, left + 4, upper_edge + 4))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [link]


async def test_the_ca_page_says_there_is_none_when_https_was_never_run(
    client: AsyncTestClient[Litestar],
) -> None:
    page = await client.get("/ca", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "poctix run --https" in pages.text(page.text, "[data-error-message]")
    assert (await client.get("/ca.crt")).status_code == 404


async def test_the_ca_page_offers_the_certificate_with_steps_for_iphone_and_android(
    client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    cert, _ = ca.ensure_ca(settings.data_dir)
    page = await client.get("/ca")
    assert page.status_code == 200
    fingerprint = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest().upper()
    shown = pages.text(page.text, "#ca-fingerprint")
    assert shown == ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2))
    iphone = pages.texts(page.text, "#ca-ios li")
    assert [step for step in iphone if "VPN & Device Management" in step]
    assert [step for step in iphone if "Certificate Trust Settings" in step]
    android = pages.texts(page.text, "#ca-android li")
    assert [step for step in android if "Encryption & credentials" in step]

    der = await client.get("/ca.crt")
    assert der.headers["content-type"] == "application/x-x509-ca-cert"
    assert x509.load_der_x509_certificate(der.content) == cert
    pem = await client.get("/ca.pem")
    assert x509.load_pem_x509_certificate(pem.content) == cert
