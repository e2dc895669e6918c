"""The public event page under load: first byte at 50 concurrent connections, and page weight.

Loads the demo event into a private PostgreSQL, starts `poctix run` (one uvicorn worker), and
drives `/e/full-moon` with wrk (Debian package `wrk`, C, so the load generator takes little of
the two cores) for 30 s at 50 connections, after a 5 s warm-up. wrk's latency is the full
response time, an upper bound on time to first byte for a page this small.

    python -m bench.event_page [--seconds 30] [--connections 50] [--workers 1]
    python -m bench.event_page --open-loop 4 [--workers 2]   # hey: 50 clients x 4/s each
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import re
import shutil
import subprocess

import httpx

from api.db.engine import create_engine, session_factory
from api.demo import load_demo
from bench.harness import SECRET, database, server


async def demo(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    async with session_factory(engine)() as session:
        await load_demo(session, base_url="http://bench", secret_key=SECRET)
    await engine.dispose()


def wrk(url: str, seconds: int, connections: int) -> str:
    return subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def hey(url: str, per_client: int, seconds: int = 10, clients: int = 50) -> str:
    """Open loop: `clients` clients, each at `per_client` requests/s (they fire together)."""
    return subprocess.run(
        ["hey", "-z", f"{seconds}s", "-c", str(clients), "-q", str(per_client), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def open_loop(per_client: int, workers: int) -> None:
    if shutil.which("hey") is None:
        raise SystemExit("hey is needed: apt-get install hey")
    with database() as db_url:
        asyncio.run(demo(db_url))
        with server(db_url, workers=workers) as base:
            hey(f"{base}/e/full-moon", per_client, seconds=5)  # warm-up
            report = hey(f"{base}/e/full-moon", per_client)
    print(report)
    rps = re.search(r"Requests/sec:\s+(\S+)", report)
    p50 = re.search(r"50%+ in (\S+) secs", report)
    p99 = re.search(r"99%+ in (\S+) secs", report)
    codes = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", report))
    non_2xx = sum(int(n) for code, n in codes.items() if not code.startswith("2"))
    print("| offered rate | clients | workers | p50 | p99 | non-2xx |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {float(rps.group(1)) if rps else 0:.0f}/s | 50 | {workers} | "
        f"{float(p50.group(1)) * 1000 if p50 else 0:.1f} ms | "
        f"{float(p99.group(1)) * 1000 if p99 else 0:.1f} ms | {non_2xx} |"
    )


def main(seconds: int, connections: int, workers: int) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    with database() as db_url:
        asyncio.run(demo(db_url))
        with server(db_url, workers=workers) as base:
            page = httpx.get(f"{base}/e/full-moon")
            page.raise_for_status()
            wrk(f"{base}/e/full-moon", 5, connections)  # warm-up
            report = wrk(f"{base}/e/full-moon", seconds, connections)
    size = len(page.content)
    zipped = len(gzip.compress(page.content))
    third_party = re.findall(r'(?:src|href)="(https?://[^"]+)"', page.text)
    print(report)
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", report, re.MULTILINE))
    rps = re.search(r"Requests/sec:\s+(\S+)", report)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    print("| workers | connections | requests/s | p50 | p90 | p99 | non-2xx | HTML | gzip | "
          "third-party requests |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {workers} | {connections} | {rps.group(1) if rps else '?'} | {latency.get('50')} | "
        f"{latency.get('90')} | {latency.get('99')} | {errors.group(1) if errors else 0} | "
        f"{size:,} B | {zipped:,} B | {len(third_party)} |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--open-loop", type=int, default=0, metavar="PER_CLIENT_RATE")
    args = parser.parse_args()
    if args.open_loop:
        open_loop(args.open_loop, args.workers)
    else:
        main(args.seconds, args.connections, args.workers)
