"""Workers against one PostgreSQL: event page and checkout throughput at 1, 2 and 4 uvicorn
workers, and the per-address rate limit still holding across 4 workers.

For each worker count, on a fresh server: wrk (Debian `wrk`, 2 threads, 50 connections, closed
loop, after a 5 s warm-up) on the event page; then wrk again with bench/checkout.lua, POSTing
checkouts of one free ticket over 50 connections (every checkout with its own email and its own
address in X-Forwarded-For; 5 s warm-up) against a tier too large to sell out. wrk, PostgreSQL
and the outbox worker (niced, drawing the confirmation emails) run on the same 2 cores as the
server, so more than two workers cannot add cores, only processes.

Rate limits across workers: with 4 workers, one client address sends 60 sign-in POSTs (POST
/login with its CSRF token) at once, each on a connection of its own so the kernel hands them
to different worker processes. The allowance is 20 per 10-minute window (api/web/ratelimit.py
LOGIN): exactly 20 must be answered 303 and 40 must be 429 with Retry-After.

    python -m bench.scaling [--workers 1 2 4] [--seconds 20] [--buyers 50] [--burst 60]

(--buyers is the number of wrk connections POSTing checkouts.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from bench.buyers import TOKEN, TRUSTED, wait_quiet
from bench.harness import create_sale_event, database, server

LOGIN_ALLOWANCE = 20
LOGIN_WINDOW = 600


def wrk(url: str, seconds: int, connections: int = 50) -> tuple[float, str, int]:
    report = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = re.search(r"Requests/sec:\s+(\S+)", report)
    p99 = re.search(r"^\s+99%\s+(\S+)$", report, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    return (
        float(rps.group(1)) if rps else 0.0,
        p99.group(1) if p99 else "?",
        int(errors.group(1)) if errors else 0,
    )


LUA = Path(__file__).with_name("checkout.lua")


@dataclass
class Checkouts:
    sold: int
    sold_out: int
    other: int
    seconds: float
    p50: str
    p99: str

    @property
    def per_second(self) -> float:
        return self.sold / self.seconds if self.seconds else 0.0


def wrk_checkouts(
    base: str, slug: str, tier_id: str, *, seconds: int, connections: int, first: int
) -> Checkouts:
    """wrk POSTing checkouts of one free ticket (bench/checkout.lua) in a closed loop."""
    page = httpx.get(f"{base}/e/{slug}", headers={"X-Forwarded-For": "198.51.100.1"})
    token = TOKEN.search(page.text)
    assert token, "the event page carries a CSRF token"
    cookie = "; ".join(v.split(";", 1)[0] for v in page.headers.get_list("set-cookie"))
    env = dict(
        os.environ, BENCH_SLUG=slug, BENCH_TIER=tier_id, BENCH_COOKIE=cookie,
        BENCH_TOKEN=quote(token.group(1)), BENCH_FIRST=str(first),
    )  # fmt: skip
    report = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA), base],
        capture_output=True, text=True, check=True, env=env,
    ).stdout  # fmt: skip
    counts = re.search(r"^checkouts (\d+) (\d+) (\d+)$", report, re.MULTILINE)
    took = re.search(r"requests in ([\d.]+)(ms|s|m)", report)
    if counts is None or took is None:
        raise RuntimeError(f"wrk did not report the checkouts:\n{report}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[took.group(2)]
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", report, re.MULTILINE))
    sold, sold_out, other = (int(n) for n in counts.groups())
    return Checkouts(sold, sold_out, other, float(took.group(1)) * scale,
                     latency.get("50", "?"), latency.get("99", "?"))  # fmt: skip


async def login_burst(base: str, burst: int) -> dict[str, int]:
    """`burst` sign-in POSTs from one address at once, one connection each."""
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{base}/login", headers=forwarded)
        token = TOKEN.search(page.text)
        assert token, "the sign-in page carries a CSRF token"
        cookie = "; ".join(v.split(";", 1)[0] for v in page.headers.get_list("set-cookie"))
    # Keep the burst inside one fixed window.
    into = time.time() % LOGIN_WINDOW
    if into > LOGIN_WINDOW - 15:
        await asyncio.sleep(LOGIN_WINDOW - into + 1)
    limits = httpx.Limits(max_connections=burst, max_keepalive_connections=0)
    counts: dict[str, int] = {}
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:

        async def one(n: int) -> str:
            answer = await http.post(
                f"{base}/login",
                data={"_csrf_token": token.group(1), "email": f"nobody{n}@example.com"},
                headers=dict(forwarded, Cookie=cookie),
            )
            if answer.status_code == 429:
                return "429 with Retry-After" if answer.headers.get("retry-after") else "429 bare"
            return str(answer.status_code)

        for result in await asyncio.gather(*(one(n) for n in range(burst))):
            counts[result] = counts.get(result, 0) + 1
    return counts


def main(workers_list: list[int], seconds: int, buyers: int, burst: int) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    rows = []
    bursts = []
    with database() as url:
        for index, workers in enumerate(workers_list):
            sale = asyncio.run(create_sale_event(url, capacity=10_000_000))
            with server(url, workers=workers, **TRUSTED) as base:
                load = wait_quiet()
                print(f"{workers} worker(s): load average {load:.2f}", flush=True)
                page = f"{base}/e/{sale.slug}"
                wrk(page, 5)
                rps, p99, non2xx = wrk(page, seconds)
                wrk_checkouts(base, sale.slug, sale.tier_id, seconds=5, connections=buyers,
                              first=(index + 1) * 100_000_000)  # fmt: skip
                sales = wrk_checkouts(
                    base,
                    sale.slug,
                    sale.tier_id,
                    seconds=seconds,
                    connections=buyers,
                    first=(index + 1) * 100_000_000 + 50_000_000,
                )
                if workers == max(workers_list):
                    counts = asyncio.run(login_burst(base, burst))
                    bursts.append((workers, counts))
            rows.append((workers, rps, p99, non2xx, sales, load))
            print(rows[-1], flush=True)
    base_get, base_co = rows[0][1], rows[0][4].per_second
    print()
    print(
        "| workers | event page requests/s (wrk, 50 conn) | vs 1 worker | p99 | non-2xx "
        f"| checkouts/s (wrk, {buyers} conn) | vs 1 worker | checkout p50 | p99 "
        "| checkouts not sold | load avg before |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for workers, rps, p99, non2xx, sales, load in rows:
        print(
            f"| {workers} | {rps:,.0f} | {rps / base_get:.2f} | {p99} | {non2xx} | "
            f"{sales.per_second:,.1f} | {sales.per_second / base_co:.2f} | {sales.p50} | "
            f"{sales.p99} | {sales.sold_out + sales.other} | {load:.2f} |"
        )
    print()
    print("| workers | sign-in POSTs from one address, at once | answers | allowance |")
    print("|---|---|---|---|")
    for workers, counts in bursts:
        answers = ", ".join(f"{n} x {code}" for code, n in sorted(counts.items()))
        held = counts.get("303", 0) == LOGIN_ALLOWANCE and counts.get(
            "429 with Retry-After", 0
        ) == (burst - LOGIN_ALLOWANCE)
        print(
            f"| {workers} | {burst} | {answers} | {LOGIN_ALLOWANCE} per 10 min: "
            f"{'held' if held else 'NOT held'} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--burst", type=int, default=60)
    args = parser.parse_args()
    main(args.workers, args.seconds, args.buyers, args.burst)
