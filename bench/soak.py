"""Soak: steady buyers for half an hour; memory of the server processes, errors, throughput.

Buyers arrive at a constant `--rate` per second (open loop, evenly spaced), each doing what a
phone does on sale day: GET the event page, POST the checkout for one free ticket with its own
email and its own address in X-Forwarded-For (see bench/buyers.py), against a tier too large to
sell out. Every 30 s the resident memory (VmRSS from /proc/PID/status) of `poctix run` and its
uvicorn worker processes is sampled. Growth per hour is the least-squares slope over the second
half of the samples (the first half includes warm-up: pools filling, caches, allocator arenas).
The load generator and PostgreSQL share the 2 cores with the server.

    python -m bench.soak --minutes 30 --rate 50 [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text

from api.db.engine import create_engine
from bench.buyers import (
    TRUSTED,
    buy,
    descendants,
    ms,
    percentile,
    rss_kib,
    wait_quiet,
)
from bench.harness import create_sale_event, database, server_process


@dataclass
class Tally:
    sold: int = 0
    errors: int = 0
    sold_out: int = 0
    details: dict[str, int] = field(default_factory=dict)
    posts: list[tuple[float, float]] = field(default_factory=list)
    """(seconds since start, POST latency) per completed checkout."""
    in_flight: int = 0
    most_in_flight: int = 0
    done: list[float] = field(default_factory=list)


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per hour."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 3600 if var else 0.0


async def sample_memory(
    root: int, start: float, every: float, stop: asyncio.Event,
    samples: list[tuple[float, dict[int, int]]],
) -> None:  # fmt: skip
    while True:
        samples.append((time.monotonic() - start, {pid: rss_kib(pid) for pid in descendants(root)}))
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
            return
        except TimeoutError:
            pass


async def soak(
    base: str, slug: str, tier_id: str, root: int, *, seconds: float, rate: float, every: float
) -> tuple[Tally, list[tuple[float, dict[int, int]]], float]:
    tally = Tally()
    samples: list[tuple[float, dict[int, int]]] = []
    run = uuid.uuid4().hex[:6]
    start = time.monotonic()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(root, start, every, stop, samples))
    tasks: set[asyncio.Task[None]] = set()

    async def one(n: int) -> None:
        tally.in_flight += 1
        tally.most_in_flight = max(tally.most_in_flight, tally.in_flight)
        outcome = await buy(base, slug, tier_id, n, run=run)
        tally.in_flight -= 1
        if outcome.kind == "sold":
            tally.sold += 1
            tally.posts.append((outcome.done_at - start, outcome.post_s))
            tally.done.append(outcome.done_at - start)
        elif outcome.kind == "sold_out":
            tally.sold_out += 1
        else:
            tally.errors += 1
            tally.details[outcome.detail] = tally.details.get(outcome.detail, 0) + 1

    total = int(seconds * rate)
    last_report = start
    for n in range(total):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(n))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if time.monotonic() - last_report >= 60:
            last_report = time.monotonic()
            mem = sum(samples[-1][1].values()) / 1024 if samples else 0
            print(
                f"{(last_report - start) / 60:5.1f} min: {tally.sold:,} checkouts, "
                f"{tally.errors} errors, in flight {tally.in_flight}, RSS {mem:,.0f} MiB",
                flush=True,
            )
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    stop.set()
    await sampler
    return tally, samples, elapsed


async def outbox_pending(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            pending = await connection.scalar(
                text("SELECT count(*) FROM outbox_message WHERE status = 'pending'")
            )
            return int(pending or 0)
    finally:
        await engine.dispose()


def drain(url: str, longest: float = 600) -> tuple[int, float]:
    """Confirmation emails still queued when the buyers stop, and how long the outbox worker
    (niced, on the same cores) then took to clear them."""
    at_end = asyncio.run(outbox_pending(url))
    started = time.monotonic()
    while asyncio.run(outbox_pending(url)) and time.monotonic() - started < longest:
        time.sleep(2)
    return at_end, time.monotonic() - started


def main(minutes: float, rate: float, workers: int, every: float) -> None:
    with database() as url:
        sale = asyncio.run(create_sale_event(url, capacity=10_000_000))
        with server_process(url, workers=workers, **TRUSTED) as (base, proc):
            load = wait_quiet()
            print(f"load average {load:.2f}; soak starts: {minutes} min at {rate}/s", flush=True)
            tally, samples, elapsed = asyncio.run(
                soak(base, sale.slug, sale.tier_id, proc.pid, seconds=minutes * 60, rate=rate,
                     every=every)
            )  # fmt: skip
            queued, drained = drain(url)
    if tally.details:
        print("errors:", tally.details)
    totals = [(t, sum(by_pid.values()) / 1024) for t, by_pid in samples]
    half = [point for point in totals if point[0] >= totals[-1][0] / 2]
    pids = sorted({pid for _, by_pid in samples for pid in by_pid})
    per_process = []
    for pid in pids:
        points = [(t, by_pid[pid] / 1024) for t, by_pid in samples if pid in by_pid]
        second = [p for p in points if p[0] >= totals[-1][0] / 2]
        per_process.append(
            f"pid {pid}: {points[0][1]:.0f} → {points[-1][1]:.0f} MiB, "
            f"{slope_per_hour(second):+.1f} MiB/h"
        )
    print("\nRSS samples (min, MiB, all server processes):")
    print(", ".join(f"{t / 60:.1f}: {v:.0f}" for t, v in totals))
    print("\n".join(per_process))
    latencies = [s for _, s in tally.posts]
    first = [s for t, s in tally.posts if t < 300]
    last = [s for t, s in tally.posts if t >= elapsed - 300]
    span = max(tally.done) - min(tally.done) if len(tally.done) > 1 else 0
    print()
    print(
        "| workers | duration | arrivals | checkouts | errors | checkouts/min | requests/s "
        "| checkout p50 | p95 | p99 | p95 first / last 5 min | most in flight "
        "| RSS start → end | growth/h (2nd half fit) | load avg before |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {workers} | {elapsed / 60:.1f} min | {rate:g}/s | {tally.sold:,} | {tally.errors} | "
        f"{tally.sold / span * 60 if span else 0:,.0f} | {2 * tally.sold / elapsed:,.0f} | "
        f"{ms(percentile(latencies, 0.5))} | {ms(percentile(latencies, 0.95))} | "
        f"{ms(percentile(latencies, 0.99))} | {ms(percentile(first, 0.95))} / "
        f"{ms(percentile(last, 0.95))} | {tally.most_in_flight} | "
        f"{totals[0][1]:,.0f} → {totals[-1][1]:,.0f} MiB | {slope_per_hour(half):+.1f} MiB/h | "
        f"{load:.2f} |"
    )
    print(f"\nOutbox: {queued:,} confirmation emails queued when the buyers stopped, "
          f"cleared {drained:.0f} s later.")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=50, help="buyers per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=float, default=30, help="seconds between RSS samples")
    args = parser.parse_args()
    main(args.minutes, args.rate, args.workers, args.sample)
