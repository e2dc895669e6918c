"""Sold-out burst: 400 buyers post at the same instant for a new 150-seat free tier.

Unlike the on-sale spike (arrivals spread over 10 s), every buyer first opens the event page
(its CSRF cookie and token, one connection per buyer kept open), and then all 400 checkout
POSTs are released at one instant: 150 must be sold, 250 told "Sold out". The question is how
long each answer takes, the refusals apart from the sales: a refusal that waits for the tier's
row (behind every sale in flight) answers as late as the last sale.

Each buyer sends an address of its own in X-Forwarded-For (the server trusts 127.0.0.1 as its
proxy), so the per-address checkout limit counts each phone apart. The event gets its signing
key when it is made, as an event made in the dashboard does. The load generator (httpx, one
event loop) shares the 2 cores with the server and PostgreSQL; "release spread" is how long
after the release the last POST task started.

Afterwards the database is checked: exactly `seats` valid passes and `sold`, one order per
sale, no error answer; the script exits 1 otherwise.

    python -m bench.soldout_burst [--buyers 400] [--seats 150] [--workers 2] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from dataclasses import dataclass

from api.db.engine import create_engine, session_factory
from api.passes import keys
from bench.buyers import (
    TRUSTED,
    Outcome,
    Visit,
    check_out,
    client,
    ms,
    percentile,
    visit,
    wait_quiet,
)
from bench.harness import SECRET, create_sale_event, database, server
from bench.onsale_spike import db_state


@dataclass
class Row:
    workers: int
    buyers: int
    seats: int
    load: float
    outcomes: list[Outcome]
    passes: int
    tier_sold: int
    orders: int
    spread: float

    @property
    def errors(self) -> int:
        return sum(o.kind == "error" for o in self.outcomes)

    @property
    def ok(self) -> bool:
        sold = sum(o.kind == "sold" for o in self.outcomes)
        return (
            self.errors == 0 and sold == self.passes == self.tier_sold == self.orders == self.seats
        )

    def table_row(self) -> str:
        def times(kind: str | None) -> list[float]:
            return [o.post_s for o in self.outcomes if kind is None or o.kind == kind]

        sold, refused, every = times("sold"), times("sold_out"), times(None)
        return (
            f"| {self.workers} | {self.buyers} at once | {self.seats} | {len(sold)} | "
            f"{self.passes} | {self.tier_sold} | {len(refused)} | {self.errors} | "
            f"{ms(percentile(sold, 0.5))} | {ms(percentile(sold, 0.95))} | "
            f"{ms(percentile(refused, 0.5))} | {ms(percentile(refused, 0.95))} | "
            f"{ms(percentile(every, 0.5))} | **{ms(percentile(every, 0.95))}** | "
            f"{ms(max(every, default=0.0))} | {self.spread * 1000:.0f} ms | {self.load:.2f} | "
            f"{'ok' if self.ok else 'FAILED'} |"
        )


HEADER = (
    "| workers | buyers | seats | told sold (HTTP) | passes (DB) | tier sold (DB) "
    "| told sold out | errors | sales p50 | sales p95 | refusals p50 | refusals p95 "
    "| all p50 | all p95 | slowest | release spread | load avg before | check |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
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


async def burst(base: str, slug: str, tier_id: str, buyers: int) -> tuple[list[Outcome], float]:
    run = uuid.uuid4().hex[:6]
    async with client(keepalive=buyers) as http:
        await http.get(f"{base}/healthz")
        visits = await asyncio.gather(*(visit(http, base, slug, n) for n in range(buyers)))
        failed = [v for v in visits if isinstance(v, Outcome)]
        ready = [v for v in visits if isinstance(v, Visit)]
        # Let the page burst settle, well inside the client's 3 s keep-alive.
        await asyncio.sleep(0.5)
        go = asyncio.Event()
        started: list[float] = []

        async def one(buyer: Visit) -> Outcome:
            await go.wait()
            started.append(time.monotonic())
            return await check_out(http, base, slug, tier_id, buyer, run=run)

        tasks = [asyncio.ensure_future(one(buyer)) for buyer in ready]
        await asyncio.sleep(0)  # every task is now waiting for the release
        released = time.monotonic()
        go.set()
        outcomes = await asyncio.gather(*tasks)
    spread = max(started, default=released) - released
    return failed + list(outcomes), spread


def main(buyers: int, seats: int, workers_list: list[int], runs: int) -> bool:
    rows: list[Row] = []
    with database() as url:
        for workers in workers_list:
            with server(url, workers=workers, **TRUSTED) as base:
                for _ in range(runs):
                    sale = asyncio.run(create_sale_event(url, capacity=seats))
                    asyncio.run(give_key(url, sale.event_id))
                    load = wait_quiet()
                    print(f"{workers} worker(s): load average {load:.2f}, burst", flush=True)
                    outcomes, spread = asyncio.run(burst(base, sale.slug, sale.tier_id, buyers))
                    passes, sold, _held, orders = asyncio.run(
                        db_state(url, sale.event_id, sale.tier_id)
                    )
                    errors = sorted({o.detail for o in outcomes if o.kind == "error"})
                    if errors:
                        print("errors:", errors, flush=True)
                    row = Row(workers, buyers, seats, load, outcomes, passes, sold, orders, spread)
                    rows.append(row)
                    print(HEADER)
                    print(row.table_row(), flush=True)
                    # The outbox worker renders the confirmations of this run before the next.
                    time.sleep(5)
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
