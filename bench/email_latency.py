"""Email latency: from Stripe's "paid" webhook to the confirmation accepted by the SMTP server.

    .venv/bin/python -m bench.email_latency [--orders 200] [--rate 20] [--burst 20] [--workers 0]

`poctix run` (a real process, with its outbox worker as two niced child processes) sends through
SMTP to an aiosmtpd server in this process. Each order (2 passes, a paid tier) starts pending
with its seats held, as after Stripe Checkout; the benchmark then POSTs a correctly signed
`checkout.session.completed` webhook for it. The clock runs from just before the POST to the
moment the SMTP server accepts the message (the end of DATA), both on this process's monotonic
clock. So it covers: the webhook, the fulfilment commit with its outbox row, NOTIFY, the
worker's claim, rendering (two QR PNGs, two signatures), SMTP, and the row marked sent.

Two arrival patterns over `--orders` orders each: `steady` (one payment every 1/rate s, a busy
on-sale) and `burst` (all at once through `--burst` concurrent webhook connections, the worst
case: a queue builds up). `--workers N` adds N `poctix worker` processes beside that worker.
Target: p95 <= 2 s. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from api.db import Event, Order, OrderLine, OrderStatus, Organizer, TicketTier, utcnow
from api.db.engine import create_engine, session_factory
from api.passes import keys
from bench.harness import SECRET, database, free_port, server

WEBHOOK_SECRET = "whsec_bench_" + "w" * 24
PER_ORDER = 2
PRICE = 2500


class Sink:
    """The SMTP server: when each recipient's message was accepted."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}
        self.duplicates = 0
        self._lock = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.monotonic()
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                if recipient in self.accepted:
                    self.duplicates += 1
                self.accepted.setdefault(recipient, at)
            self._lock.notify_all()
        assert "Your tickets for" in str(message["Subject"])
        return "250 2.0.0 accepted"

    def wait_for(self, recipients: set[str], timeout: float) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: recipients <= self.accepted.keys(), timeout):
                missing = len(recipients - self.accepted.keys())
                raise SystemExit(f"{missing} confirmations did not arrive within {timeout} s")


Made = list[tuple[str, str, str]]
"""(order id, buyer email, Checkout Session id) of each order."""


async def create_orders(url: str, *, label: str, count: int) -> Made:
    """`count` pending paid orders of one event, seats held."""
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            organizer = Organizer(
                name="Bench Hall",
                slug=f"bench-{secrets.token_hex(3)}",
                contact_email="hello@bench.example",
                stripe_account_id=f"acct_bench_{secrets.token_hex(4)}",
                charges_enabled=True,
            )
            session.add(organizer)
            await session.flush()
            start = utcnow() + timedelta(days=7)
            event = Event(
                organizer_id=organizer.id,
                slug=f"mail-{label}-{secrets.token_hex(3)}",
                name=f"Bench Night ({label})",
                venue="Main hall",
                starts_at=start,
                ends_at=start + timedelta(hours=4),
                timezone="Pacific/Honolulu",
                published=True,
            )
            session.add(event)
            await session.flush()
            tier = TicketTier(
                event_id=event.id,
                name="General",
                price_minor=PRICE,
                capacity=count * PER_ORDER,
                held=count * PER_ORDER,
            )
            session.add(tier)
            await session.flush()
            await keys.active_key(session, event_id=event.id, secret_key=SECRET)
            made = []
            for n in range(count):
                email = f"{label}-{n}@bench.example"
                checkout = f"cs_bench_{uuid.uuid4().hex}"
                order = Order(
                    public_id=secrets.token_urlsafe(16),
                    event_id=event.id,
                    buyer_email=email,
                    status=OrderStatus.pending,
                    total_minor=PRICE * PER_ORDER,
                    fee_minor=200 * PER_ORDER,
                    stripe_checkout_session_id=checkout,
                    hold_expires_at=utcnow() + timedelta(minutes=31),
                )
                session.add(order)
                await session.flush()
                session.add(
                    OrderLine(
                        order_id=order.id,
                        tier_id=tier.id,
                        quantity=PER_ORDER,
                        unit_price_minor=PRICE,
                    )
                )
                made.append((str(order.id), email, checkout))
            await session.commit()
            return made
    finally:
        await engine.dispose()


def signed_completion(order_id: str, checkout: str) -> tuple[bytes, dict[str, str]]:
    """A `checkout.session.completed` event as Stripe signs it, naming the order's own session,
    amount and currency (the webhook refuses any other: api/payments/crosscheck.py)."""
    body = json.dumps(
        {
            "id": f"evt_bench_{uuid.uuid4().hex}",
            "object": "event",
            "type": "checkout.session.completed",
            "api_version": "2025-01-01",
            "created": int(time.time()),
            "livemode": False,
            "data": {
                "object": {
                    "object": "checkout.session",
                    "id": checkout,
                    "payment_status": "paid",
                    "amount_total": PRICE * PER_ORDER,
                    "currency": "usd",
                    "payment_intent": f"pi_bench_{uuid.uuid4().hex[:20]}",
                    "client_reference_id": order_id,
                    "metadata": {"order_id": order_id},
                }
            },
        }
    ).encode()
    stamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return body, {
        "stripe-signature": f"t={stamp},v1={mac.hexdigest()}",
        "content-type": "application/json",
    }


async def pay(client: httpx.AsyncClient, order_id: str, checkout: str) -> float:
    """POST the webhook; returns when it was sent (monotonic)."""
    body, headers = signed_completion(order_id, checkout)
    sent = time.monotonic()
    response = await client.post("/webhooks/stripe", content=body, headers=headers)
    if response.status_code != 200 or response.json().get("status") != "fulfilled":
        raise SystemExit(f"webhook for {order_id}: {response.status_code} {response.text}")
    return sent


async def steady(url: str, orders: Made, rate: float) -> dict[str, float]:
    started: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        begin = time.monotonic()
        tasks = []
        for n, (order_id, email, checkout) in enumerate(orders):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # the arrival schedule, not a wait for a result

            async def one(order_id: str = order_id, email: str = email, cs: str = checkout) -> None:
                started[email] = await pay(client, order_id, cs)

            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return started


async def burst(url: str, orders: Made, width: int) -> dict[str, float]:
    started: dict[str, float] = {}
    queue = list(orders)
    limits = httpx.Limits(max_connections=width)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def lane() -> None:
            while queue:
                order_id, email, checkout = queue.pop(0)
                started[email] = await pay(client, order_id, checkout)

        await asyncio.gather(*(lane() for _ in range(width)))
    return started


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def command() -> str:
    spec = sys.modules["__main__"].__spec__
    return " ".join([".venv/bin/python -m", spec.name if spec else sys.argv[0], *sys.argv[1:]])


@contextlib.contextmanager
def extra_workers(database_url: str, count: int) -> Iterator[None]:
    """`poctix worker` processes on the same database and SMTP server."""
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET, LOG_LEVEL="WARNING")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)


async def main(orders: int, rate: float, width: int, workers: int) -> None:
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    os.environ.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_TLS="none",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        MAIL_API_URL="",
        WORKER_IN_PROCESS="true",
    )
    rows = []
    try:
        with database() as db_url:
            plans = {
                "steady": await create_orders(db_url, label="steady", count=orders),
                "burst": await create_orders(db_url, label="burst", count=orders),
            }
            with server(db_url) as url, extra_workers(db_url, workers):
                for name, made in plans.items():
                    began = time.monotonic()
                    if name == "steady":
                        started = await steady(url, made, rate)
                    else:
                        started = await burst(url, made, width)
                    posted = time.monotonic() - began
                    wanted = {email for _, email, _ in made}
                    await asyncio.to_thread(sink.wait_for, wanted, 120)
                    spent = time.monotonic() - began
                    latency = [sink.accepted[email] - started[email] for email in wanted]
                    arrival = f"{rate:g}/s" if name == "steady" else f"{width} at once"
                    rows.append((name, arrival, len(made), posted, spent, latency))
    finally:
        controller.stop()
    print(f"`{command()}` — {len(os.sched_getaffinity(0))} cores, SMTP on loopback, "
          f"{PER_ORDER} passes per order, {workers} extra worker process(es)\n")  # fmt: skip
    print(
        "| arrivals | orders | webhook → SMTP accepted p50 | p95 | max "
        "| all webhooks answered | all emails accepted |"
    )
    print("|---|---|---|---|---|---|---|")
    for _name, arrival, count, posted, spent, latency in rows:
        print(
            f"| {arrival} | {count} | {pct(latency, 50) * 1000:.0f} ms "
            f"| {pct(latency, 95) * 1000:.0f} ms | {max(latency) * 1000:.0f} ms "
            f"| {posted:.1f} s | {spent:.1f} s |"
        )
    if sink.duplicates:
        raise SystemExit(f"{sink.duplicates} confirmations were delivered twice")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200, help="orders per arrival pattern")
    parser.add_argument("--rate", type=float, default=20, help="steady payments per second")
    parser.add_argument("--burst", type=int, default=20, help="concurrent webhooks in the burst")
    parser.add_argument("--workers", type=int, default=0, help="extra `poctix worker` processes")
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.rate, args.burst, args.workers))
