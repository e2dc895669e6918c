"""Simulated buyers for the load benchmarks (on-sale spike, soak, scaling).

A buyer is one phone: GET the event page (the CSRF cookie and the form's token), then POST the
checkout form for one ticket with an email of its own. Every buyer sends its own client address
in `X-Forwarded-For`, and the server runs with TRUSTED_PROXIES=127.0.0.1/32, so the per-address
checkout limit (60 a minute, api/web/ratelimit.py) counts each phone apart, as it would behind a
real proxy. Each buyer is a `Phone`: a connection of its own, as each real phone has.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
SOLD_OUT = "Sold out"
TRUSTED = {"TRUSTED_PROXIES": "127.0.0.1/32"}


@dataclass
class Outcome:
    kind: str
    """`sold` (303 to the passes page), `sold_out` (the page's "Sold out" answer), `error`."""
    get_s: float = 0.0
    post_s: float = 0.0
    done_at: float = 0.0
    """time.monotonic() when the POST's answer arrived."""
    detail: str = ""


def address(n: int) -> str:
    """A distinct IPv4 address per buyer number (10.0.0.0/8, skipping .0 and .255)."""
    n, d = divmod(n, 254)
    c, rest = n % 256, n // 256
    return f"10.{rest % 256}.{c}.{d + 1}"


_COOKIE = re.compile(rb"^set-cookie:\s*([^;\r\n]+)", re.IGNORECASE | re.MULTILINE)


class Phone:
    """One buyer's phone: a connection of its own, kept open from the event page to the checkout.

    A bare HTTP/1.1 exchange on an asyncio stream (about 0.1 ms of CPU a request), because the
    load generator shares the 2 cores with the server. One shared httpx pool measured itself:
    in the on-sale spike, requests waited up to 13 s inside httpcore's pool before their first
    byte was written, while the server answered each in under 0.5 ms to 0.5 s (issue 15)."""

    def __init__(self, n: int, host: str, port: int) -> None:
        self.n, self.host, self.port = n, host, port
        self.cookies = ""
        self.token = ""
        self.get_s = 0.0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def _head(self, method: str, path: str, extra: str = "") -> bytes:
        return (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"X-Forwarded-For: {address(self.n)}\r\n{extra}\r\n"
        ).encode()

    async def _answer(self) -> tuple[int, bytes, bytes]:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if length:
            body = await self.reader.readexactly(int(length.group(1)))
        elif re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
            body = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
        else:
            body = b""
        return status, head, body

    async def visit(self, slug: str) -> str | None:
        """Open the event page; None when ready to buy, else what went wrong."""
        started = time.perf_counter()
        try:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(self._head("GET", f"/e/{slug}"))
            status, head, body = await self._answer()
        except (OSError, asyncio.IncompleteReadError) as exc:
            return f"GET {type(exc).__name__}"
        self.get_s = time.perf_counter() - started
        match = TOKEN.search(body.decode()) if status == 200 else None
        if match is None:
            return f"GET {status}"
        self.token = match.group(1)
        self.cookies = "; ".join(c.decode() for c in _COOKIE.findall(head))
        return None

    async def check_out(self, slug: str, tier_id: str, run: str) -> Outcome:
        """POST the checkout of one ticket on the open connection."""
        assert self.writer is not None
        form = urlencode(
            {
                "_csrf_token": self.token,
                f"qty-{tier_id}": "1",
                "email": f"buyer{self.n}{run}@example.com",
            }
        ).encode()
        extra = (
            f"Cookie: {self.cookies}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(form)}\r\n"
        )
        started = time.perf_counter()
        try:
            self.writer.write(self._head("POST", f"/e/{slug}/checkout", extra) + form)
            status, head, body = await self._answer()
        except (OSError, asyncio.IncompleteReadError) as exc:
            return Outcome(
                "error", self.get_s, time.perf_counter() - started, time.monotonic(),
                f"POST {type(exc).__name__}",
            )  # fmt: skip
        post_s = time.perf_counter() - started
        done = time.monotonic()
        if status == 303 and b"/passes/" in head:
            return Outcome("sold", self.get_s, post_s, done)
        if status == 422 and SOLD_OUT.encode() in body:
            return Outcome("sold_out", self.get_s, post_s, done)
        return Outcome("error", self.get_s, post_s, done, f"POST {status}")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def buy(base: str, slug: str, tier_id: str, n: int, *, run: str = "") -> Outcome:
    """Buyer number `n` on a phone of its own: the event page, then the checkout of one ticket."""
    where = urlsplit(base)
    assert where.hostname
    assert where.port
    phone = Phone(n, where.hostname, where.port)
    try:
        problem = await phone.visit(slug)
        if problem:
            return Outcome("error", detail=problem, done_at=time.monotonic())
        return await phone.check_out(slug, tier_id, run)
    finally:
        phone.close()


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (read from /proc; uvicorn's workers are children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def load_average() -> float:
    return os.getloadavg()[0]


def wait_quiet(threshold: float = 1.0, longest: float = 900.0) -> float:
    """Wait (up to `longest` seconds) for the 1-minute load average to fall under
    `threshold`; returns the load average measured at the start."""
    deadline = time.monotonic() + longest
    while load_average() >= threshold and time.monotonic() < deadline:
        time.sleep(5)
    load = load_average()
    if load >= threshold:
        print(f"warning: load average still {load:.2f} (machine not quiet)", flush=True)
    return load
