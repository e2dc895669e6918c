"""`/ca`: the local certificate authority's certificate, with the steps to trust it on a phone.

Only a machine that ran `poctix run --https` has one (in DATA_DIR); anywhere else (a real
deployment behind Caddy) these pages answer 404 and say why. The certificate is public by
nature; its key is never served. `/ca.crt` is DER as `application/x-x509-ca-cert`, the form
Android's installer and iOS's profile download both accept; `/ca.pem` is for desktops.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from api.lan.ca import read_ca_cert
from api.web.deps import AppSettings

NO_CA = (
    "This server has no local certificate authority: it is made by `poctix run --https` "
    "(for a trial on a local network). A site with a real certificate needs none."
)
DOWNLOAD_NAME = "poctix-local-ca"


def _ca(settings: AppSettings) -> x509.Certificate:
    cert = read_ca_cert(settings.data_dir)
    if cert is None:
        raise NotFoundException(detail=NO_CA)
    return cert


def _fingerprint(cert: x509.Certificate) -> str:
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _download(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-cache",
        },
    )


class LocalCAPages(Controller):
    include_in_schema = False

    @get("/ca")
    async def page(self, settings: AppSettings) -> Template:
        cert = _ca(settings)
        return Template(
            template_name="ca.html",
            context={
                "name": cert.subject.rfc4514_string(),
                "fingerprint": _fingerprint(cert),
                "expires": cert.not_valid_after_utc.date().isoformat(),
                "base_url": settings.base_url.rstrip("/"),
            },
        )

    @get("/ca.crt")
    async def der(self, settings: AppSettings) -> Response[bytes]:
        body = _ca(settings).public_bytes(serialization.Encoding.DER)
        return _download(body, "application/x-x509-ca-cert", f"{DOWNLOAD_NAME}.crt")

    @get("/ca.pem")
    async def pem(self, settings: AppSettings) -> Response[bytes]:
        body = _ca(settings).public_bytes(serialization.Encoding.PEM)
        return _download(body, "application/x-pem-file", f"{DOWNLOAD_NAME}.pem")
