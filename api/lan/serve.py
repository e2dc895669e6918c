"""What `poctix run --https` serves: the address phones use, the names the certificate covers,
the base URL links are made with, and where uvicorn finds the certificate and its key."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click

from api.lan.ca import ensure_server_cert

# TEST-NET-1 (RFC 5737): connecting a UDP socket sends nothing, but makes the kernel choose the
# interface (and so the address) it would route the internet through.
PROBE_ADDRESS = ("192.0.2.1", 9)
LOOPBACK = "127.0.0.1"
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104  (phones on the LAN must reach us: that is the point)


@dataclass(frozen=True)
class HttpsPlan:
    bind_host: str
    """The interface uvicorn listens on."""
    address: str
    """The host phones open (the LAN address unless --host names one)."""
    base_url: str
    """The site's URL in links: BASE_URL when set in the environment, else https://address:port."""
    certfile: Path
    keyfile: Path
    names: tuple[str, ...]
    """Every name and address the server certificate is valid for."""

    @property
    def ca_page(self) -> str:
        return f"{self.base_url}/ca"


def lan_address() -> str:
    """This machine's IPv4 address on the network it routes through, or 127.0.0.1 when it has
    none (no network at all: then only this machine can open the site)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(PROBE_ADDRESS)
            address = str(probe.getsockname()[0])
        except OSError:
            return LOOPBACK
    return LOOPBACK if ipaddress.ip_address(address).is_unspecified else address


def plan_https(
    *,
    data_dir: Path,
    base_url: str,
    port: int,
    host: str | None = None,
    extra_names: Iterable[str] = (),
    environ: Mapping[str, str],
) -> HttpsPlan:
    """Make (or reuse) the certificate for this run and say what to serve and print.

    `host` (the --host option) is both where to listen and what phones open; without it we
    listen everywhere and phones open the LAN address. BASE_URL set in the environment wins
    (a name in local DNS, a port forwarded elsewhere): its host is covered by the certificate.
    """
    wildcard = host in (None, "", EVERY_INTERFACE, "::")
    address = lan_address() if wildcard else str(host)
    if environ.get("BASE_URL"):
        url = base_url.rstrip("/")
        if not url.startswith("https://"):
            # Every printed link and pairing code would point phones at plain HTTP.
            raise click.UsageError(
                f"--https with BASE_URL={url}: unset BASE_URL (links then use "
                "https://<LAN address>:<port>) or set it to the https:// address phones open."
            )
    else:
        url = f"https://{_url_host(address)}:{port}"
    names = [address, "localhost", LOOPBACK, *_host_names(), *extra_names]
    base_host = urlsplit(url).hostname
    if base_host:
        names.append(base_host)
    files = ensure_server_cert(data_dir, names)
    unique = tuple(dict.fromkeys(n.strip().lower() for n in names if n.strip()))
    return HttpsPlan(
        bind_host=EVERY_INTERFACE if wildcard else str(host),
        address=address,
        base_url=url,
        certfile=files.server_cert,
        keyfile=files.server_key,
        names=unique,
    )


def _host_names() -> list[str]:
    """The machine's name, and its `.local` name (phones find it by mDNS on most LANs)."""
    name = socket.gethostname().strip().lower()
    if not name or name == "localhost":
        return []
    short = name.split(".")[0]
    return [name, f"{short}.local"]


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address
