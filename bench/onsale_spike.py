"""On-sale spike: 1,000 buyers arriving within 10 s for 300 seats of a free tier.

Each buyer GETs the event page (CSRF cookie and token), then POSTs the checkout for one ticket
with an email of its own and an address of its own in X-Forwarded-For (the server trusts
127.0.0.1 as its proxy), so the per-address checkout limit counts each phone apart. Arrivals are
open loop: every buyer's start time is drawn uniformly over the window up front, and nobody
waits for anybody else. Each buyer is a phone with a connection of its own (`bench.buyers.Phone`,
a bare HTTP/1.1 exchange, one event loop for all); the load generator shares the 2 cores with the
server and PostgreSQL.

Free tier only: a paid checkout would add a call to the Stripe stand-in (tests/stripe_standin)
on the same two cores, so the figure would mostly measure the stand-in.

Afterwards the database is checked: valid passes for the tier and the tier's sold count must
both equal the seats, oversold 0.

    python -m bench.onsale_spike [--buyers 1000] [--seats 300] [--seconds 10] [--workers 1 2]
    python -m bench.onsale_spike --outbox-apart   # WORKER_IN_PROCESS=false

By default the outbox worker runs inside `poctix run` (WORKER_IN_PROCESS, the default setting),
so the confirmation emails (a QR image per pass) are rendered on the same cores during the
spike. `--outbox-apart` leaves them queued for a separate `poctix worker` (not started here).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from api.db import Order, Pass, PassStatus, TicketTier
from api.db.engine import create_engine, session_factory
from bench.buyers import TRUSTED, Outcome, buy, ms, percentile, wait_quiet
from bench.harness import create_sale_event, database, server


@dataclass
class Row:
    workers: int
    buyers: int
    seats: int
    load: float
    outcomes: list[Outcome]
    passes: int
    tier_sold: int
    tier_held: int
    orders: int
    lag_max: float
    span: float

    def table_row(self) -> str:
        sold = [o for o in self.outcomes if o.kind == "sold"]
        sold_out = sum(o.kind == "sold_out" for o in self.outcomes)
        errors = sum(o.kind == "error" for o in self.outcomes)
        posts = [o.post_s for o in self.outcomes if o.kind != "error" or o.post_s]
        gets = [o.get_s for o in self.outcomes if o.get_s]
        times = sorted(o.done_at for o in sold)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        per_min = len(times) / span * 60 if span else 0.0
        return (
            f"| {self.workers} | {self.buyers:,} in {self.span:.0f} s | {self.seats} | "
            f"{self.passes} | {self.tier_sold} | {max(0, self.passes - self.seats)} | "
            f"{sold_out} | {errors} ({errors / self.buyers:.1%}) | "
            f"{ms(percentile(posts, 0.5))} | {ms(percentile(posts, 0.95))} | "
            f"{ms(percentile(posts, 0.99))} | {ms(percentile(gets, 0.95))} | "
            f"{per_min:,.0f} ({len(times)} in {span:.1f} s) | {self.lag_max * 1000:.0f} ms | "
            f"{self.load:.2f} |"
        )


HEADER = (
    "| workers | buyers | seats | passes issued (DB) | tier sold (DB) | oversold | told sold out "
    "| errors | checkout p50 | p95 | p99 | event page p95 | checkouts/min (completions) "
    "| generator lag max | load avg before |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


async def spike(
    base: str, slug: str, tier_id: str, buyers: int, seconds: float, seed: int
) -> tuple[list[Outcome], float]:
    rng = random.Random(seed)
    offsets = sorted(rng.uniform(0, seconds) for _ in range(buyers))
    lags: list[float] = []
    run = uuid.uuid4().hex[:6]
    start = time.monotonic() + 0.2

    async def one(n: int, at: float) -> Outcome:
        delay = start + at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(time.monotonic() - (start + at))
        return await buy(base, slug, tier_id, n, run=run)

    outcomes = await asyncio.gather(*(one(n, at) for n, at in enumerate(offsets)))
    return list(outcomes), max(lags)


async def db_state(url: str, event_id: str, tier_id: str) -> tuple[int, int, int, int]:
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            passes = await session.scalar(
                select(func.count())
                .select_from(Pass)
                .where(Pass.tier_id == uuid.UUID(tier_id), Pass.status == PassStatus.valid)
            )
            tier = await session.get(TicketTier, uuid.UUID(tier_id))
            orders = await session.scalar(
                select(func.count()).select_from(Order).where(Order.event_id == uuid.UUID(event_id))
            )
            assert tier is not None
            return int(passes or 0), tier.sold, tier.held, int(orders or 0)
    finally:
        await engine.dispose()


def main(
    buyers: int, seats: int, seconds: float, workers_list: list[int], seed: int, apart: bool
) -> None:
    rows: list[Row] = []
    with database() as url:
        for workers in workers_list:
            sale = asyncio.run(create_sale_event(url, capacity=seats))
            extra = dict(TRUSTED, WORKER_IN_PROCESS="false") if apart else TRUSTED
            with server(url, workers=workers, **extra) as base:
                load = wait_quiet()
                print(f"{workers} worker(s): load average {load:.2f}, spike starts", flush=True)
                outcomes, lag = asyncio.run(
                    spike(base, sale.slug, sale.tier_id, buyers, seconds, seed)
                )
                time.sleep(1)
            passes, sold, held, orders = asyncio.run(db_state(url, sale.event_id, sale.tier_id))
            errors = [o.detail for o in outcomes if o.kind == "error"]
            if errors:
                print("errors:", sorted(set(errors)), flush=True)
            row = Row(workers, buyers, seats, load, outcomes, passes, sold, held, orders, lag,
                      seconds)  # fmt: skip
            rows.append(row)
            print(HEADER)
            print(row.table_row(), flush=True)
            print(f"(tier held {held}, orders {orders})", flush=True)
    print()
    print(HEADER)
    for row in rows:
        print(row.table_row())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--seats", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--outbox-apart", action="store_true", help="WORKER_IN_PROCESS=false")
    args = parser.parse_args()
    main(args.buyers, args.seats, args.seconds, args.workers, args.seed, args.outbox_apart)
