"""Server reconciliation: 20 door devices push 2,500 scans each, concurrently, with 5% of the
admissions being the same pass at two doors (true conflicts). Measures the wall time from the
first push to the conflicts list, and checks the list counts exactly the injected duplicates.

    python -m bench.sync_reconcile [--devices 20] [--scans 2500] [--dup 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import statistics
import time

import httpx

from api.passes.tokens import pass_key_text
from bench.harness import create_big_event, database, pairing_code, server

BATCH = 1000
T0 = 1_900_000_000_000


async def pair(client: httpx.AsyncClient, code: str, name: str) -> tuple[str, str]:
    response = await client.post("/api/v1/scanner/pair", json={"code": code, "name": name})
    response.raise_for_status()
    body = response.json()
    return body["device_id"], body["token"]


def plan(pass_ids: list[str], devices: int, scans: int, dup: float) -> list[list[str]]:
    """Per device, the passes it admits; `dup` of all admissions repeat another door's pass."""
    rng = random.Random(7)
    total = devices * scans
    duplicates = int(total * dup)
    unique = rng.sample(pass_ids, total - duplicates)
    per_device = [unique[i::devices] for i in range(devices)]
    owner = {p: d for d, chunk in enumerate(per_device) for p in chunk}
    candidates = rng.sample(unique, duplicates)
    for index, pass_id in enumerate(candidates):
        target = (owner[pass_id] + 1 + index % (devices - 1)) % devices
        per_device[target].append(pass_id)
    # Rebalance so every device pushes exactly `scans` (the duplicates moved some counts).
    for chunk in per_device:
        rng.shuffle(chunk)
    return per_device


async def push_all(
    url: str, device: str, token: str, door: str, passes: list[str], latencies: list[float]
) -> None:
    headers = {"authorization": f"Bearer {token}"}
    scans = [
        {
            "device": device,
            "seq": n,
            "pass_id": pass_id,
            "scanned_at": T0 + n * 1000,
            "verdict": "admit",
            "admitted": True,
            "door": door,
            "vector": {device: n - 1} if n > 1 else {},
        }
        for n, pass_id in enumerate(passes, start=1)
    ]
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        for start in range(0, len(scans), BATCH):
            began = time.perf_counter()
            response = await client.post(
                "/api/v1/scanner/push", json={"scans": scans[start : start + BATCH]}
            )
            response.raise_for_status()
            latencies.append(time.perf_counter() - began)
            assert response.json()["acked"] == min(start + BATCH, len(scans))


async def main(devices: int, scans: int, dup: float) -> None:
    with database() as db_url:
        event = await create_big_event(db_url, passes=max(50_000, devices * scans))
        code = await pairing_code(db_url, event.event_id, uses=devices)
        with server(db_url) as url:
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                paired = [await pair(client, code, f"Gate {i + 1}") for i in range(devices)]
                boot = await client.get(
                    "/api/v1/scanner/bootstrap",
                    headers={"authorization": f"Bearer {paired[0][1]}"},
                )
                raw = base64.b64decode(boot.json()["passes"]["data"])
                pass_ids = [pass_key_text(raw[i : i + 11]) for i in range(0, len(raw), 13)]
            assignments = plan(pass_ids, devices, scans, dup)
            injected = sum(len(a) for a in assignments) - len({p for a in assignments for p in a})
            latencies: list[float] = []
            began = time.perf_counter()
            await asyncio.gather(
                *(
                    push_all(url, device, token, f"Gate {i + 1}", assignments[i], latencies)
                    for i, (device, token) in enumerate(paired)
                )
            )
            pushed = time.perf_counter() - began
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                response = await client.get(
                    "/api/v1/scanner/conflicts",
                    headers={"authorization": f"Bearer {paired[0][1]}"},
                )
            total = time.perf_counter() - began
            found = [c for c in response.json()["conflicts"] if c["kind"] == "conflict"]
    scans_total = sum(len(a) for a in assignments)
    print(f"| devices | scans | injected duplicates | conflicts found | push all | push+reconcile "
          f"| push p50 / max per {BATCH}-scan batch |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {devices} | {scans_total:,} | {injected:,} | {len(found):,} | {pushed:.2f} s "
        f"| {total:.2f} s | {statistics.median(latencies) * 1000:.0f} / "
        f"{max(latencies) * 1000:.0f} ms |"
    )
    if len(found) != injected:
        raise SystemExit(f"conflict count {len(found)} != injected duplicates {injected}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--scans", type=int, default=2500)
    parser.add_argument("--dup", type=float, default=0.05)
    args = parser.parse_args()
    asyncio.run(main(args.devices, args.scans, args.dup))
