"""Sold-out burst: 400 buyers post at the same instant for a new 150-seat free tier.

Unlike the on-sale spike (arrivals spread over 10 s), every buyer first opens the event page
on a connection of its own (the CSRF cookie and the form's token) and keeps it open; then all
400 checkout POSTs are released at one instant: 150 must be sold, 250 told "Sold out". The
question is how long each answer takes, the refusals apart from the sales: a refusal that
waits for the tier's row (behind every sale in flight) answers as late as the last sale.

Each buyer sends an address of its own in X-Forwarded-For (the server trusts 127.0.0.1 as its
proxy), so the per-address checkout limit counts each phone apart. The event gets its signing
key when it is made, as an event made in the dashboard does.

The load generator shares the 2 cores with the server, its outbox worker and PostgreSQL, so it
must cost little: each buyer is a `bench.buyers.Phone`, a bare HTTP/1.1 exchange on an asyncio
stream (about 0.1 ms of CPU a request). httpx spent 5.8 s of CPU on these 400 POSTs in one
event loop, more than the server's two workers together, and the figures measured the client.
"Release spread" is how long after the release the last POST was written. The CPU that each
part spent from the release to the last answer is measured too (from /proc): the web workers,
the outbox workers (`poctix worker`, niced, rendering the confirmations of the sales),
PostgreSQL, this client, and how busy the machine's cores were in all.

Afterwards the database is checked: exactly `seats` valid passes and `sold`, one order per
sale, no error answer; the script exits 1 otherwise.

    python -m bench.soldout_burst [--buyers 400] [--seats 150] [--workers 2] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from api.db.engine import create_engine, session_factory
from api.passes import keys
from bench.buyers import TRUSTED, Outcome, Phone, ms, percentile, wait_quiet
from bench.harness import SECRET, create_sale_event, database, server_process
from bench.onsale_spike import db_state
from bench.sync_reconcile import cpu_seconds, postmaster


@dataclass(frozen=True)
class Cpu:
    """CPU seconds spent so far: web workers, outbox workers, PostgreSQL, this client, and
    the machine's busy and total core-seconds."""

    web: float
    outbox: float
    postgres: float
    client: float
    busy: float
    cores: float

    @classmethod
    def now(cls, server: int, database: int | None) -> Cpu:
        web = outbox = 0.0
        for child in Path(f"/proc/{server}/task/{server}/children").read_text().split():
            spent = cpu_seconds(int(child))
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"\0worker\0" in command:
                outbox += spent
            else:
                web += spent
        postgres = cpu_seconds(database)
        if database is not None:  # its backends that ended meanwhile
            fields = Path(f"/proc/{database}/stat").read_text().rsplit(")", 1)[1].split()
            postgres += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        total = sum(ticks) / os.sysconf("SC_CLK_TCK")
        idle = (ticks[3] + ticks[4]) / os.sysconf("SC_CLK_TCK")
        return cls(web, outbox, postgres, time.process_time(), total - idle, total)

    def __sub__(self, before: Cpu) -> Cpu:
        return Cpu(
            self.web - before.web, self.outbox - before.outbox,
            self.postgres - before.postgres, self.client - before.client,
            self.busy - before.busy, self.cores - before.cores,
        )  # fmt: skip


@dataclass
class Row:
    workers: int
    buyers: int
    seats: int
    load: float
    answers: list[Outcome]
    passes: int
    tier_sold: int
    orders: int
    spread: float
    cpu: Cpu

    @property
    def errors(self) -> int:
        return sum(a.kind == "error" for a in self.answers)

    @property
    def ok(self) -> bool:
        sold = sum(a.kind == "sold" for a in self.answers)
        return (
            self.errors == 0 and sold == self.passes == self.tier_sold == self.orders == self.seats
        )

    def table_row(self) -> str:
        def times(kind: str | None) -> list[float]:
            return [a.post_s for a in self.answers if kind is None or a.kind == kind]

        sold, refused, every = times("sold"), times("sold_out"), times(None)
        cpu = self.cpu
        return (
            f"| {self.workers} | {self.buyers} at once | {self.seats} | {len(sold)} | "
            f"{self.passes} | {self.tier_sold} | {len(refused)} | {self.errors} | "
            f"{ms(percentile(sold, 0.5))} | {ms(percentile(sold, 0.95))} | "
            f"{ms(percentile(refused, 0.5))} | {ms(percentile(refused, 0.95))} | "
            f"{ms(percentile(every, 0.5))} | **{ms(percentile(every, 0.95))}** | "
            f"{ms(max(every, default=0.0))} | {self.spread * 1000:.0f} ms | "
            f"{cpu.web:.2f} / {cpu.outbox:.2f} / {cpu.postgres:.2f} / {cpu.client:.2f} | "
            f"{cpu.busy:.1f} of {cpu.cores:.1f} | {self.load:.2f} | "
            f"{'ok' if self.ok else 'FAILED'} |"
        )


HEADER = (
    "| workers | buyers | seats | told sold (HTTP) | passes (DB) | tier sold (DB) "
    "| told sold out | errors | sales p50 | sales p95 | refusals p50 | refusals p95 "
    "| all p50 | all p95 | slowest | release spread | CPU s: web / outbox / PostgreSQL / client "
    "| cores busy (core-s) | load avg before | check |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


async def give_key(url: str, event_id: str) -> None:
    """The event's signing key, made with it as the dashboard does."""
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            await keys.active_key(session, event_id=uuid.UUID(event_id), secret_key=SECRET)
            await session.commit()
    finally:
        await engine.dispose()


async def burst(
    base: str, slug: str, tier_id: str, buyers: int, measure: Callable[[], Cpu]
) -> tuple[list[Outcome], float, Cpu]:
    where = urlsplit(base)
    assert where.hostname
    assert where.port
    run = uuid.uuid4().hex[:6]
    phones = [Phone(n, where.hostname, where.port) for n in range(buyers)]
    try:
        # The pages in batches, as phones open them over the seconds before the sale.
        problems: list[str | None] = []
        for start in range(0, buyers, 50):
            batch = phones[start : start + 50]
            problems += await asyncio.gather(*(phone.visit(slug) for phone in batch))
        failed = [Outcome("error", detail=problem) for problem in problems if problem]
        ready = [phone for phone, problem in zip(phones, problems, strict=True) if not problem]
        await asyncio.sleep(0.5)  # the page burst settles, well inside the 5 s keep-alive
        go = asyncio.Event()
        sent: list[float] = []

        async def one(phone: Phone) -> Outcome:
            await go.wait()
            sent.append(time.monotonic())
            return await phone.check_out(slug, tier_id, run)

        tasks = [asyncio.ensure_future(one(phone)) for phone in ready]
        await asyncio.sleep(0)  # every task is now waiting for the release
        before = measure()
        released = time.monotonic()
        go.set()
        answers = await asyncio.gather(*tasks)
        spent = measure() - before
    finally:
        for phone in phones:
            phone.close()
    return failed + list(answers), max(sent, default=released) - released, spent


def main(buyers: int, seats: int, workers_list: list[int], runs: int) -> bool:
    rows: list[Row] = []
    with database() as url:
        for workers in workers_list:
            with server_process(url, workers=workers, **TRUSTED) as (base, process):
                measure = functools.partial(Cpu.now, process.pid, postmaster(url))
                for _ in range(runs):
                    sale = asyncio.run(create_sale_event(url, capacity=seats))
                    asyncio.run(give_key(url, sale.event_id))
                    load = wait_quiet()
                    print(f"{workers} worker(s): load average {load:.2f}, burst", flush=True)
                    answers, spread, cpu = asyncio.run(
                        burst(base, sale.slug, sale.tier_id, buyers, measure)
                    )
                    passes, sold, _held, orders = asyncio.run(
                        db_state(url, sale.event_id, sale.tier_id)
                    )
                    errors = sorted({a.detail for a in answers if a.kind == "error"})
                    if errors:
                        print("errors:", errors, flush=True)
                    row = Row(
                        workers, buyers, seats, load, answers, passes, sold, orders, spread, cpu
                    )
                    rows.append(row)
                    print(HEADER)
                    print(row.table_row(), flush=True)
                    # The outbox worker renders this run's confirmations before the next run.
                    time.sleep(10)
    print()
    print(HEADER)
    for row in rows:
        print(row.table_row())
    return all(row.ok for row in rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=400)
    parser.add_argument("--seats", type=int, default=150)
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--runs", type=int, default=1, help="bursts per worker count")
    args = parser.parse_args()
    sys.exit(0 if main(args.buyers, args.seats, args.workers, args.runs) else 1)
