"""Many hosts: three `poctix run` processes behind one load balancer, on one PostgreSQL and one
Redis, as README "Many hosts" lays it out.

Each process is a real `python -m api.cli run --port P` with WORKER_IN_PROCESS=false (no email
is sent here; the outbox rows they write are what is checked), the same DATABASE_URL,
SECRET_KEY and REDIS_URL, one shared DATA_DIR (the uploads folder a real site would put on
shared storage), and TRUSTED_PROXIES=127.0.0.1/32: the balancer. The balancer is Caddy
(`tests/lb.py` says why): round robin, passive failover on a refused connection, health checks
on /healthz, `X-Forwarded-For` set to the client's address. Clients get addresses of their own
by binding to other loopback addresses (127.0.0.0/8 is all local on Linux).

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
   doubles none: the balancer moves to the others, and every buyer, retrying what failed as a
   person would, ends with exactly one order and its passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis.asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import sync
from api.checkin.services import create_pairing
from api.db import Order, OutboxMessage, Pass
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import factories
from tests.fault_support import AppProcess, app_env, free_port, wait_serving
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

    def request_id(self, what: str) -> str:
        return f"{what}-{next(self.ids):06d}"

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
        """A browser at `address` talking to the balancer (or to one process directly)."""
        url = self.balancer if direct is None else self.urls[direct]
        transport = httpx.AsyncHTTPTransport(local_address=address)
        return httpx.AsyncClient(base_url=url, transport=transport, timeout=WAIT_S)


@pytest.fixture
def cluster(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Cluster]:
    """Redis, three `poctix run` processes and Caddy in front of them, until the test ends."""
    shared_data = tmp_path / "data"
    shared_data.mkdir()
    balancer_port = free_port()
    balancer = f"http://127.0.0.1:{balancer_port}"
    with redis_server() as redis_url:
        ports = [free_port() for _ in range(PROCESSES)]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        env = app_env(
            database_url, shared_data,
            SECRET_KEY=settings.secret_key, REDIS_URL=redis_url, BASE_URL=balancer,
            TRUSTED_PROXIES="127.0.0.1/32", WORKER_IN_PROCESS="false",
        )  # fmt: skip
        apps = [
            AppProcess(["run", "--port", str(port)], env, tmp_path / f"app{n}.log")
            for n, port in enumerate(ports, 1)
        ]
        try:
            for app in apps:
                app.start()
            for app, url in zip(apps, urls, strict=True):
                wait_serving(app, url, within=120)
            with caddy_balancer(urls, tmp_path / "caddy.log", port=balancer_port) as url:
                yield Cluster(apps=apps, urls=urls, balancer=url, redis_url=redis_url)
        finally:
            for app in apps:
                app.stop()


async def test_two_door_phones_syncing_through_different_processes_converge(
    cluster: Cluster, db: AsyncSession, settings: Settings
) -> None:
    event_id, codes = await _event_with_passes(db, settings)
    pairing = await create_pairing(db, event_id=event_id, door="Door")
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

