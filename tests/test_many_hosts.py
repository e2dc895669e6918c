"""Many hosts: three `poctix run` processes behind one load balancer, on one PostgreSQL and one
Redis, as README "Many hosts" lays it out.

Each process is a real `python -m api.cli run --port P` with WORKER_IN_PROCESS=false (no email
is sent here; the outbox rows they write are what is checked), the same DATABASE_URL,
SECRET_KEY and REDIS_URL, one shared DATA_DIR (the uploads folder a real site would put on
shared storage), and TRUSTED_PROXIES=127.0.0.1/32: the balancer. The balancer is Caddy
(`tests/lb.py` says why and how): round robin, a process that refuses a connection left out,
health checks on /healthz, `X-Forwarded-For` set to the client's address. Clients get addresses
of their own by binding to other loopback addresses (127.0.0.0/8 is all local on Linux).

Every request a test sends carries an `X-Request-ID`; each process writes it on its access log
line, so the test knows which process answered what without trusting the balancer's word.

What holds with three processes:

1. two door phones syncing through different processes converge on the same scans, and both
   report a pass let in at both doors as the same conflict;
2. the live door view open on one process is poked by a scan pushed to another (PostgreSQL
   NOTIFY), and its figures count it;
3. a rate limit is exact in total: one address gets its allowance and no more however the
   balancer spreads its requests, the rest get 429 with Retry-After, another address is not
   affected;
4. a process stopped (SIGTERM) in the middle of a stream of checkouts loses no order and
   doubles none: the few requests the balancer sent it before noticing fail with a 502 having
   reached no process, the others share everything after, and every buyer, sending again what
   failed as a person would, ends with exactly one order and its passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis.asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import sync
from api.checkin.services import create_pairing
from api.db import Order, OutboxMessage, Pass
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import factories, pages
from tests.fault_support import AppProcess, app_env, free_port, wait_serving, wait_until
from tests.forms import csrf_token
from tests.lb import caddy_balancer
from tests.redis_server import redis_server
from tests.test_dashboard import sign_in
from tests.test_fault_offline_doors import (
    Phone,
    _event_with_passes,
    _pair_and_bootstrap,
    _pull,
    _push,
)
from tests.test_live_door import a_night_at_the_door
from tests.test_scanner_api import T0, pair, scan

pytestmark = pytest.mark.slow  # `make test-fast` leaves these out

PROCESSES = 3
WAIT_S = 60.0
"""Bound on every wait for something to happen (generous: 2 shared cores, 3 servers, Caddy)."""


@dataclass
class Cluster:
    apps: list[AppProcess]
    urls: list[str]
    """Each process directly, in order."""
    balancer: str
    redis_url: str
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    sent: list[str] = field(default_factory=list)
    """The request id of every request sent, in order."""

    def request_id(self, what: str) -> str:
        name = f"{what}-{next(self.ids):06d}"
        self.sent.append(name)
        return name

    def answered_by(self, index: int) -> set[str]:
        """The request ids process `index` wrote on its access log."""
        found = set()
        for line in self.apps[index].output().splitlines():
            if '"poctix.access"' not in line:
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if "request_id" in entry:
                    found.add(entry["request_id"])
        return found

    def client(self, *, direct: int | None = None, address: str = "127.0.0.1") -> httpx.AsyncClient:
        """A browser at `address` talking to the balancer (or to one process directly); each of
        its requests carries a fresh `X-Request-ID`."""

        async def name_it(request: httpx.Request) -> None:
            request.headers["X-Request-ID"] = self.request_id(request.method.lower())

        url = self.balancer if direct is None else self.urls[direct]
        return httpx.AsyncClient(
            base_url=url,
            transport=httpx.AsyncHTTPTransport(local_address=address),
            timeout=WAIT_S,
            event_hooks={"request": [name_it]},
        )

    async def processes_of(self, request_ids: set[str]) -> Counter[int]:
        """How many of `request_ids` each process answered (by index), once every one of them
        is on an access log: a process writes the line just after its response has gone."""
        deadline = time.monotonic() + WAIT_S
        while True:
            counts = Counter(
                {index: len(request_ids & self.answered_by(index)) for index in range(PROCESSES)}
            )
            if counts.total() == len(request_ids):
                return counts
            assert time.monotonic() < deadline, f"not on any access log: {request_ids}"
            await asyncio.sleep(0.05)


def request_id(response: httpx.Response) -> str:
    return response.request.headers["x-request-id"]


@pytest.fixture
def cluster(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Cluster]:
    """Redis, the three `poctix run` processes and Caddy in front of them, until the test ends.

    Caddy's active health checks run every 30 s here, so a stopped process is found by the
    requests sent to it (the worse case), not by a timely check."""
    shared_data = tmp_path / "data"
    shared_data.mkdir()
    balancer_port = free_port()
    with redis_server() as redis_url:
        urls = [f"http://127.0.0.1:{free_port()}" for _ in range(PROCESSES)]
        env = app_env(
            database_url, shared_data,
            SECRET_KEY=settings.secret_key, REDIS_URL=redis_url,
            BASE_URL=f"http://127.0.0.1:{balancer_port}",
            TRUSTED_PROXIES="127.0.0.1/32", WORKER_IN_PROCESS="false",
        )  # fmt: skip
        apps = [
            AppProcess(["run", "--port", url.rsplit(":", 1)[1]], env, tmp_path / f"app{n}.log")
            for n, url in enumerate(urls, 1)
        ]
        try:
            for app in apps:
                app.start()
            for app, url in zip(apps, urls, strict=True):
                wait_serving(app, url, within=120)
            log = tmp_path / "caddy.log"
            with caddy_balancer(urls, log, port=balancer_port, health_interval="30s") as balancer:
                running = Cluster(apps=apps, urls=urls, balancer=balancer, redis_url=redis_url)
                until_balanced(running)
                yield running
        finally:
            for app in apps:
                app.stop()


def until_balanced(cluster: Cluster) -> None:
    """Until the balancer has sent a request to every process."""
    warmup: set[str] = set()

    def every_process_reached() -> bool:
        name = cluster.request_id("warmup")
        warmup.add(name)
        with contextlib.suppress(httpx.TransportError):
            httpx.get(f"{cluster.balancer}/healthz", headers={"X-Request-ID": name}, timeout=5)
        return all(warmup & cluster.answered_by(index) for index in range(PROCESSES))

    wait_until(every_process_reached, within=WAIT_S, what="Caddy reaches every process", every=0.1)


async def test_two_door_phones_syncing_through_different_processes_converge(
    cluster: Cluster, db: AsyncSession, settings: Settings
) -> None:
    event_id, codes = await _event_with_passes(db, settings)
    pairing = await create_pairing(db, event_id=event_id, door="Door", uses=2)
    await db.commit()
    async with (
        cluster.client(direct=0) as first,
        cluster.client(direct=1) as second,
        cluster.client() as balanced,
    ):
        # Gate A lives on process 1, Gate B on process 2: pairing, bootstrap and every push.
        gate_a = await _pair_and_bootstrap(first, pairing.code, "Gate A", 0)
        gate_b = await _pair_and_bootstrap(second, pairing.code, "Gate B", 0)
        # Both offline: each lets in a pass of its own, and the same pass (codes[20]) at both.
        now = T0
        for phone, shown in ((gate_a, codes[20:23]), (gate_b, [codes[20], codes[30]])):
            for code in shown:
                now += 60_000
                assert phone.scan(code, device_now=now) is not None
        assert all(item["admitted"] for item in gate_a.outbox + gate_b.outbox)
        await asyncio.gather(_push(first, gate_a), _push(second, gate_b))

        # Each pulls through the other's process, then once more through the balancer.
        await asyncio.gather(_pull(second, gate_a), _pull(first, gate_b))
        await asyncio.gather(_pull(balanced, gate_a), _pull(balanced, gate_b))
        # The server's view, asked of the third process.
        async with cluster.client(direct=2) as third:
            response = await third.get("/api/v1/scanner/conflicts", headers=gate_a.auth)
        assert response.status_code == 200, response.text
        server_view = response.json()["conflicts"]

    def held(phone: Phone) -> set[tuple[str, int]]:
        scans = phone.state["scans"]
        return {(device, int(seq)) for device, by_seq in scans.items() for seq in by_seq}

    every_scan = {(item["device"], item["seq"]) for item in gate_a.outbox + gate_b.outbox}
    assert len(every_scan) == 5
    assert held(gate_a) == held(gate_b) == every_scan
    both = gate_b.outbox[0]["pass_id"]
    for phone in (gate_a, gate_b):
        found = sync.conflicts(phone.state)
        assert [(c["pass_id"], c["kind"]) for c in found] == [(both, "conflict")]
        assert {found[0]["first"]["door"], found[0]["other"]["door"]} == {"Gate A", "Gate B"}
        assert found == server_view


async def next_event(lines: AsyncIterator[str]) -> tuple[str, str]:
    """The next server-sent event's (event, data), skipping keep-alive comments."""
    name, data = "message", ""
    async for line in lines:
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data = line.removeprefix("data:").strip()
        elif not line and (name != "message" or data):
            return name, data
    raise AssertionError("the stream ended")


async def test_the_live_door_view_on_one_process_sees_a_scan_pushed_to_another(
    cluster: Cluster, db: AsyncSession, settings: Settings
) -> None:
    night = await a_night_at_the_door(db, settings)  # 3 of 4 passes checked in
    pass_id = pass_key_text(night.passes[2].pass_key)  # the one not in yet
    pairing = await create_pairing(db, event_id=night.event_id, door="Gate C")
    await db.commit()
    door = f"{cluster.urls[2]}/admin/events/{night.event_id}/door"
    async with (
        cluster.client(address="127.0.0.2") as organizer,
        cluster.client(direct=0) as phone,
    ):
        # Signed in through the balancer: the form, the link request and the confirmation are
        # answered by different processes, and the session holds on every one of them.
        sent_before = len(cluster.sent)
        await sign_in(organizer, db, settings, "staff@reef.example")
        signed_in_through = await cluster.processes_of(set(cluster.sent[sent_before:]))
        assert len(+signed_in_through) >= 2, signed_in_through

        before = await organizer.get(f"{door}.json")  # process 3
        assert before.status_code == 200, before.text
        assert before.json()["checked_in"] == 3
        gate_c = await pair(phone, pairing.code, "Gate C")  # process 1

        async with organizer.stream("GET", f"{door}/stream") as stream:  # process 3
            assert stream.status_code == 200
            lines = stream.aiter_lines()
            async with asyncio.timeout(WAIT_S):
                assert await next_event(lines) == ("ready", "listening")
            pushed = await phone.post(
                "/api/v1/scanner/push",
                json={"scans": [scan(gate_c, 1, pass_id, at=T0 + 10 * 60_000)]},
                headers=gate_c.auth,
            )
            assert pushed.status_code == 200, pushed.text
            async with asyncio.timeout(WAIT_S):
                assert await next_event(lines) == ("poke", str(night.event_id))

        after = await organizer.get(f"{door}.json")  # what the page pulls on the poke
        page = await organizer.get(door)
    figures = after.json()
    assert (figures["checked_in"], figures["sold"]) == (4, 4)
    doors = {d["door"]: d["checked_in"] for d in figures["doors"]}
    assert doors == {"Gate A": 2, "Gate B": 1, "Gate C": 1}
    assert pages.text(page.text, "#door-live p.big") == "Checked in 4 of 4"
    assert (await cluster.processes_of({request_id(pushed)}))[0] == 1
    assert (await cluster.processes_of({request_id(after)}))[2] == 1


async def until_a_fresh_window(window_seconds: int, *, room: float) -> None:
    """Return once at least `room` seconds remain in the current fixed rate-limit window, so a
    burst is counted in one window (waits at most `room` s, polling the clock)."""
    deadline = time.monotonic() + room + 5
    while window_seconds - time.time() % window_seconds < room:
        assert time.monotonic() < deadline, "the clock did not move on"
        await asyncio.sleep(0.2)


async def test_one_address_gets_its_sign_in_allowance_in_total_across_three_processes(
    cluster: Cluster,
) -> None:
    # LOGIN in api/web/ratelimit.py: 20 per 600 s per client address.
    allowance, window = 20, 600
    await until_a_fresh_window(window, room=60)
    async with cluster.client(address="127.0.0.9") as client:
        token = csrf_token((await client.get("/login")).text)

        async def ask(n: int) -> httpx.Response:
            return await client.post(
                "/login",
                data={"_csrf_token": token, "email": f"guest{n}@example.com"},
                # Addresses of its choosing: the balancer does not pass them on.
                headers={"X-Forwarded-For": f"198.51.100.{n}", "CF-Connecting-IP": "192.0.2.1"},
            )

        answers = await asyncio.gather(*(ask(n) for n in range(3 * allowance)))
    statuses = Counter(response.status_code for response in answers)
    assert statuses == Counter({303: allowance, 429: 2 * allowance}), statuses
    for response in answers:
        if response.status_code == 429:
            assert 0 < int(response.headers["retry-after"]) <= window
            message = pages.text(response.text, "[data-error-message]")
            assert message.startswith("Too many attempts from your network.")
    # The balancer spread them: every process answered a share, and let some through.
    served = await cluster.processes_of({request_id(r) for r in answers})
    assert all(served[index] >= allowance // 2 for index in range(PROCESSES)), served
    allowed = await cluster.processes_of({request_id(r) for r in answers if r.status_code == 303})
    assert len(+allowed) >= 2, allowed

    # Counted per client, not per balancer nor per forged header: the next address gets in.
    async with cluster.client(address="127.0.0.10") as neighbour:
        token = csrf_token((await neighbour.get("/login")).text)
        response = await neighbour.post(
            "/login", data={"_csrf_token": token, "email": "neighbour@example.com"}
        )
        assert response.status_code == 303, response.text
    store = redis.asyncio.from_url(cluster.redis_url)
    try:
        counts = {
            key.decode().split(":")[3]: int(await store.get(key))
            async for key in store.scan_iter("poctix:ratelimit:login:*")
        }
    finally:
        await store.aclose()
    assert counts == {"127.0.0.9": 3 * allowance, "127.0.0.10": 1}


@dataclass
class Attempt:
    buyer: int
    sent: str
    """The phase (before, stopping, after the process exited) the request was sent in."""
    answered: str
    request_id: str
    status: int | None
    location: str = ""
    error: str = ""


BUYERS = 60
AT_ONCE = 6
QUANTITY = 2


async def test_a_process_stopped_mid_stream_of_checkouts_loses_and_doubles_no_order(
    cluster: Cluster, db: AsyncSession
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event, price_minor=0, capacity=10_000)
    await db.commit()
    slug, tier_id = event.slug, tier.id
    stopped = cluster.apps[1]
    phase = "before"
    attempts: list[Attempt] = []
    bought: dict[int, str] = {}
    sent_in: dict[str, str] = {}

    async def note_phase(request: httpx.Request) -> None:
        sent_in[request.headers["x-request-id"]] = phase

    def attempt(n: int, rid: str, status: int | None, location: str = "", error: str = "") -> None:
        attempts.append(Attempt(n, sent_in[rid], phase, rid, status, location, error))

    async def buy(n: int) -> None:
        """Buyer n, from an address of their own: the event page, then the form; whatever
        fails is tried again, as a person would (reload the page, submit again)."""
        deadline = time.monotonic() + WAIT_S
        async with cluster.client(address=f"127.0.1.{n}") as browser:
            browser.event_hooks["request"].append(note_phase)
            while n not in bought:
                assert time.monotonic() < deadline, [a for a in attempts if a.buyer == n]
                try:
                    page = await browser.get(f"/e/{slug}")
                    if page.status_code != 200:
                        attempt(n, request_id(page), page.status_code)
                        continue
                    response = await browser.post(
                        f"/e/{slug}/checkout",
                        data={
                            "_csrf_token": csrf_token(page.text),
                            f"qty-{tier_id}": str(QUANTITY),
                            "email": f"buyer{n}@example.com",
                        },
                    )
                except httpx.TransportError as exc:
                    attempt(n, exc.request.headers["x-request-id"], None, error=repr(exc))
                    continue
                location = response.headers.get("location", "")
                attempt(n, request_id(response), response.status_code, location)
                if response.status_code == 303 and "/passes/" in location:
                    bought[n] = location.rsplit("/", 1)[-1]

    async def buyers(numbers: range, at_once: int = AT_ONCE) -> None:
        pending = iter(numbers)

        async def one_after_another() -> None:
            for n in pending:
                await buy(n)

        await asyncio.gather(*(one_after_another() for _ in range(at_once)))

    # Buyers 1-40 stream in; once 20 have their passes, process 2 is sent SIGTERM while the
    # rest of them check out. Buyers 41-60 come after it has exited.
    stream = asyncio.create_task(buyers(range(1, 41)))
    async with asyncio.timeout(WAIT_S):
        while len(bought) < 20:
            assert not stream.done(), stream
            await asyncio.sleep(0.01)
    phase = "stopping"
    status = await asyncio.to_thread(stopped.stop)
    phase = "after"
    await stream
    await buyers(range(41, BUYERS + 1))

    # Every buyer got a 303 to their passes page; what failed on the way, and where.
    assert sorted(bought) == list(range(1, BUYERS + 1))
    # What failed: only once the SIGTERM had been sent, only the few requests the balancer sent
    # to the stopping process before it noticed, each a 502 from the balancer for a request
    # that reached no process (so it changed nothing), and each buyer tried again.
    # (Page loads are recorded only when they fail.)
    failed = [a for a in attempts if not (a.status == 303 and "/passes/" in a.location)]
    assert all(a.answered != "before" for a in failed), failed
    assert all(a.status == 502 for a in failed), failed
    assert len(failed) <= AT_ONCE, failed
    reached = set().union(*(cluster.answered_by(index) for index in range(PROCESSES)))
    assert not reached & {a.request_id for a in failed}, failed
    # It shut down gracefully (uvicorn ends by re-raising the SIGTERM it handled).
    assert status in (0, -signal.SIGTERM), stopped.output()[-3000:]
    assert "Application shutdown complete" in stopped.output()

    # Process 2 was in the rotation before the stop; after it had exited, the other two
    # shared everything (neither was left out).
    served = [a for a in attempts if a not in failed]
    before = {a.request_id for a in served if a.answered == "before"}
    after = {a.request_id for a in served if a.sent == "after"}
    assert (await cluster.processes_of(before))[1] > 0
    answered_after = await cluster.processes_of(after)
    assert answered_after[1] == 0, answered_after
    assert answered_after[0] >= len(after) // 4, answered_after
    assert answered_after[2] >= len(after) // 4, answered_after

    # Nothing lost, nothing doubled: one paid order per buyer, the one their 303 named, with
    # its passes and one confirmation email queued.
    db.expire_all()
    orders = {o.buyer_email: o for o in await db.scalars(select(Order))}
    emails = Counter(await db.scalars(select(Order.buyer_email)))
    assert max(emails.values()) == 1, [e for e, c in emails.items() if c > 1]
    assert {email: o.public_id for email, o in orders.items()} == {
        f"buyer{n}@example.com": public_id for n, public_id in bought.items()
    }
    assert {o.status for o in orders.values()} == {"paid"}
    passes = Counter(await db.scalars(select(Pass.order_id)))
    assert {o.id: passes[o.id] for o in orders.values()} == {
        o.id: QUANTITY for o in orders.values()
    }
    confirmations = Counter(
        payload["order_id"]
        for payload in await db.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "order_confirmation")
        )
    )
    assert confirmations == Counter(str(o.id) for o in orders.values())
    await db.refresh(tier)
    assert (tier.sold, tier.held) == (QUANTITY * BUYERS, 0)
