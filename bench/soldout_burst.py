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
must cost little: each buyer is a bare HTTP/1.1 exchange on an asyncio stream (about 0.1 ms of
CPU a request). httpx (bench/buyers.py) spent 5.8 s of CPU on these 400 POSTs in one event
loop, more than the server's two workers together, and the figures measured the client.
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
import re
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from api.db.engine import create_engine, session_factory
from api.passes import keys
from bench.buyers import SOLD_OUT, TOKEN, TRUSTED, address, ms, percentile, wait_quiet
from bench.harness import SECRET, create_sale_event, database, server_process
from bench.onsale_spike import db_state
from bench.sync_reconcile import cpu_seconds, postmaster

_COOKIE = re.compile(rb"^set-cookie:\s*([^;\r\n]+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Answer:
    kind: str
    """`sold` (303 to the passes page), `sold_out` (the page's "Sold out" answer), `error`."""
    seconds: float = 0.0
    detail: str = ""


class Buyer:
    """One phone: a kept-open connection, the page's cookies and token."""

    def __init__(self, n: int, host: str, port: int) -> None:
        self.n, self.host, self.port = n, host, port
        self.cookies = ""
        self.token = ""
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
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(self._head("GET", f"/e/{slug}"))
        status, head, body = await self._answer()
        match = TOKEN.search(body.decode()) if status == 200 else None
        if match is None:
            return f"GET {status}"
        self.token = match.group(1)
        self.cookies = "; ".join(c.decode() for c in _COOKIE.findall(head))
        return None

    async def check_out(self, slug: str, tier_id: str, run: str) -> Answer:
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
            return Answer("error", time.perf_counter() - started, type(exc).__name__)
        seconds = time.perf_counter() - started
        if status == 303 and b"/passes/" in head:
            return Answer("sold", seconds)
        if status == 422 and SOLD_OUT.encode() in body:
            return Answer("sold_out", seconds)
        return Answer("error", seconds, f"POST {status}")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


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
    answers: list[Answer]
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
            return [a.seconds for a in self.answers if kind is None or a.kind == kind]

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
) -> tuple[list[Answer], float, Cpu]:
    where = urlsplit(base)
    assert where.hostname
    assert where.port
    run = uuid.uuid4().hex[:6]
    phones = [Buyer(n, where.hostname, where.port) for n in range(buyers)]
    try:
        # The pages in batches, as phones open them over the seconds before the sale.
        problems: list[str | None] = []
        for start in range(0, buyers, 50):
            batch = phones[start : start + 50]
            problems += await asyncio.gather(*(phone.visit(slug) for phone in batch))
        failed = [Answer("error", detail=problem) for problem in problems if problem]
        ready = [phone for phone, problem in zip(phones, problems, strict=True) if not problem]
        await asyncio.sleep(0.5)  # the page burst settles, well inside the 5 s keep-alive
        go = asyncio.Event()
        sent: list[float] = []

        async def one(phone: Buyer) -> Answer:
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
