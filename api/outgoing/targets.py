"""Which URLs an endpoint may have: the app POSTs to them, so they must not reach into the
network it runs in (server-side request forgery).

https only, to a host that is not a private, loopback, link-local or otherwise reserved address;
in development and tests, http and https to 127.0.0.1, ::1 or localhost too (a receiver on the
same machine). A name is checked again when a delivery is sent (`check_resolved`): its DNS answer
may have changed since it was registered.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from api.errors import Invalid
from api.settings import Settings

LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}


def _local_allowed(settings: Settings) -> bool:
    return settings.environment in ("development", "test")


def _public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # fe80::1%eth0: a scoped address
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1 (Python 3.11 calls it global)
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, settings: Settings) -> str:
    """The URL, cleaned, or Invalid saying why it cannot be an endpoint."""
    url = url.strip()
    if len(url) > 2000:
        raise Invalid("The URL is too long (2,000 characters at most).")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise Invalid("The URL does not parse.") from exc
    if not host:
        raise Invalid("The URL names no host.")
    if parts.username or parts.password:
        raise Invalid("The URL must not carry a user name or password.")
    local = host in LOCAL_NAMES
    if local and _local_allowed(settings):
        if parts.scheme not in ("http", "https"):
            raise Invalid("The URL must start with https:// (or http:// for this machine).")
        return url
    if parts.scheme != "https":
        raise Invalid("The URL must start with https://.")
    if local:
        raise Invalid("The URL must not point at this machine.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if "." not in host:
            raise Invalid("The URL's host must be a public domain name.") from None
        return url
    if not _public(str(literal)):
        raise Invalid("The URL must not point at a private or reserved network address.")
    return url


async def check_resolved(url: str, *, settings: Settings) -> None:
    """Raise Invalid when the URL's host now resolves to an address it may not reach."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in LOCAL_NAMES and _local_allowed(settings):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Invalid(f"The host {host} does not resolve: {exc}") from exc
    for *_, sockaddr in answers:
        if not _public(str(sockaddr[0])):
            raise Invalid(f"The host {host} resolves to a private address ({sockaddr[0]}).")
