"""Links printed for phones: each with a QR code in the terminal, so nobody types a pairing
code off a laptop screen."""

from __future__ import annotations

import io

import click
import qrcode

from api.lan.serve import HttpsPlan


def qr_text(url: str) -> str:
    """The QR code of `url` drawn with block characters (dark on a light margin, inverted so
    it scans from the usual dark terminal too)."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(url)
    code.make(fit=True)
    out = io.StringIO()
    code.print_ascii(out=out, tty=False, invert=True)
    return out.getvalue()


def echo_link(label: str, url: str, *, err: bool = False) -> None:
    """`label: url`, then its QR code."""
    click.echo(f"{label}: {url}", err=err)
    click.echo(qr_text(url), err=err, nl=False)


def echo_https(plan: HttpsPlan) -> None:
    """Where phones go, in the order they need it: trust the CA once, then open the site."""
    click.echo(
        f"HTTPS with the local certificate authority in {plan.certfile.parent} "
        f"(certificate for {', '.join(plan.names)}; listening on {plan.bind_host}).",
        err=True,
    )
    echo_link("On each phone, once: trust this server", plan.ca_page, err=True)
    echo_link("POCtix is serving at", f"{plan.base_url}/", err=True)
