"""Simulated buyers for the load benchmarks (on-sale spike, soak, scaling).

A buyer is one phone: GET the event page (the CSRF cookie and the form's token), then POST the
checkout form for one ticket with an email of its own. Every buyer sends its own client address
in `X-Forwarded-For`, and the server runs with TRUSTED_PROXIES=127.0.0.1/32, so the per-address
checkout limit (60 a minute, api/web/ratelimit.py) counts each phone apart, as it would behind a
real proxy. All buyers share one httpx connection pool; cookies are sent by hand per buyer (the
client's own jar would mix the buyers' CSRF cookies).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx

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


def client(
    max_connections: int = 1000, timeout: float = 60.0, keepalive: int = 200
) -> httpx.AsyncClient:
    """One pool for all buyers, with a cookie jar that keeps nothing (cookies go per buyer).

    Idle connections are dropped after 3 s, before uvicorn's 5 s keep-alive timeout: with equal
    timeouts the server sometimes closed a connection just as a POST went out on it (a
    `ReadError` on 1 of 1,000 buyers), which browsers retry but httpx does not."""
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=keepalive,
        keepalive_expiry=3.0,
    )
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(limits=limits, timeout=timeout, follow_redirects=False, cookies=jar)


def _cookies(response: httpx.Response) -> str:
    pairs = [value.split(";", 1)[0] for value in response.headers.get_list("set-cookie")]
    return "; ".join(pairs)


@dataclass(frozen=True)
class Visit:
    """A buyer who has the event page: the form's CSRF token and the cookies to send back."""

    n: int
    token: str
    cookies: str
    get_s: float


async def visit(http: httpx.AsyncClient, base: str, slug: str, n: int) -> Visit | Outcome:
    """Buyer number `n` opens the event page; an Outcome (`error`) when it could not."""
    started = time.perf_counter()
    try:
        page = await http.get(f"{base}/e/{slug}", headers={"X-Forwarded-For": address(n)})
    except httpx.HTTPError as exc:
        return Outcome("error", detail=f"GET {type(exc).__name__}", done_at=time.monotonic())
    got = time.perf_counter() - started
    match = TOKEN.search(page.text) if page.status_code == 200 else None
    if match is None:
        return Outcome(
            "error", get_s=got, detail=f"GET {page.status_code}", done_at=time.monotonic()
        )
    return Visit(n, match.group(1), _cookies(page), got)


async def check_out(
    http: httpx.AsyncClient, base: str, slug: str, tier_id: str, buyer: Visit, *, run: str = ""
) -> Outcome:
    """The buyer who opened the page POSTs the checkout of one ticket."""
    form = {
        "_csrf_token": buyer.token,
        f"qty-{tier_id}": "1",
        "email": f"buyer{buyer.n}{run}@example.com",
    }
    headers = {"X-Forwarded-For": address(buyer.n), "Cookie": buyer.cookies}
    posted = time.perf_counter()
    try:
        answer = await http.post(f"{base}/e/{slug}/checkout", data=form, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(
            "error", get_s=buyer.get_s, detail=f"POST {type(exc).__name__}",
            done_at=time.monotonic(),
        )  # fmt: skip
    post_s = time.perf_counter() - posted
    done = time.monotonic()
    if answer.status_code == 303 and "/passes/" in answer.headers.get("location", ""):
        return Outcome("sold", buyer.get_s, post_s, done)
    if answer.status_code == 422 and SOLD_OUT in answer.text:
        return Outcome("sold_out", buyer.get_s, post_s, done)
    return Outcome("error", buyer.get_s, post_s, done, detail=f"POST {answer.status_code}")


async def buy(
    http: httpx.AsyncClient, base: str, slug: str, tier_id: str, n: int, *, run: str = ""
) -> Outcome:
    """Buyer number `n`: event page, then checkout of one ticket."""
    buyer = await visit(http, base, slug, n)
    if isinstance(buyer, Outcome):
        return buyer
    return await check_out(http, base, slug, tier_id, buyer, run=run)


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
