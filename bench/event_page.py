"""The public event page under load: first byte at 50 concurrent connections, and page weight.

Loads the demo event into a private PostgreSQL, starts `poctix run` (one uvicorn worker), and
drives `/e/full-moon` with wrk (Debian package `wrk`, C, so the load generator takes little of
the two cores) for 30 s at 50 connections, after a 5 s warm-up. wrk's latency is the full
response time, an upper bound on time to first byte for a page this small.

    python -m bench.event_page [--seconds 30] [--connections 50] [--workers 1]
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
    args = parser.parse_args()
    main(args.seconds, args.connections, args.workers)
