"""Door scanner latency: camera frame decode, and code -> verdict shown, on a 200,000-pass event
with door lists and re-entry on.

    .venv/bin/python -m bench.scanner_latency [--frames 1000] [--scans 1000] [--out 250]
                                              [--history 20000] [--passes 200000]
                                              [--pace-ms 0]

The event has a "Main floor" door list (tiers 1 and 2 of 3, re-entry allowed). Before the
measured phone pairs, four other phones on that list push `--history` admissions of tier 1
and 2 passes, every fourth pass scanned out after its admission and every eighth back in after
that, so the measured replica holds the lists and a history with exits. The measured phone is
paired through a link bound to that list (its verdicts take the list id), and waits until it
has pulled that history.

One headless Chromium (on-disk profile) whose fake camera shows a real pass QR at 640x480 is
paired with the event. Both parts are read from the app's own User Timing measures, collected
by a PerformanceObserver installed before the app starts:

(a) `poctix:decode` (camera.js): one QR decode of a camera frame, while the pass stays in view;
(b) `poctix:code-to-verdict` (app.js): a code handed to `handleCode` (the camera's path) ->
    verdict in the DOM, for distinct real passes typed in the manual field, camera stopped:
    `--scans` on the way in, a quarter each never scanned (admit), inside (already scanned),
    out (re-entry: admit) and of tier 3 (wrong door), in random order; then `--out` passes
    inside on the way out (the In/Out toggle on Out: exit). Scans are fed back to back (each as
    soon as the last is shown, each starting a sync round whose IndexedDB writes the next
    scan's write may wait for), or `--pace-ms` apart.
    Its part `poctix:code-to-committed` (verified, decided, scan committed to IndexedDB), and
    the scan's IndexedDB write alone, timed here by wrapping `IDBDatabase.prototype.transaction`
    (open -> `complete`).

(a) + (b) pairs every decode with every verdict on the way in: the distribution of their sum.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

import sync
from api.checkin import door_lists
from api.checkin.services import create_pairing
from api.db import Event, EventKey, Pass, TicketTier
from api.db.engine import create_engine, session_factory
from api.passes import keys, tokens
from api.passes.tokens import pass_key_text
from bench.harness import SECRET, create_big_event, database, run, server
from bench.scanner_cold_start import command, launch, machine, pair, pct
from e2e.door import write_y4m

DECODE = "poctix:decode"
VERDICT = "poctix:code-to-verdict"
COMMITTED = "poctix:code-to-committed"
IDB = "bench:idb-scan-commit"  # timed by COLLECT below
CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

COLLECT = """
(() => {
  const seen = (window.__bench = {});
  const add = (name, ms) => (seen[name] ??= []).push(ms);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name.startsWith('poctix:')) add(e.name, e.duration);
  }).observe({ type: 'measure' });
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, ...rest) {
    const tx = transaction.call(this, stores, ...rest);
    if (String(stores) === 'scans,outbox,meta') {  // ScannerStore.recordScan
      const start = performance.now();
      const done = () => add('bench:idb-scan-commit', performance.now() - start);
      tx.addEventListener('complete', done);
    }
    return tx;
  };
})();
"""
# Type one code in the manual field, submit, resolve with the verdict once data-count moves.
FEED = """([code, timeout]) => new Promise((resolve, reject) => {
  const verdict = document.getElementById('verdict');
  const before = Number(verdict.dataset.count);
  const watch = new MutationObserver(() => {
    if (Number(verdict.dataset.count) > before) done(resolve, verdict.dataset.code);
  });
  const timer = setTimeout(() => done(reject, new Error('no verdict for ' + code)), timeout);
  const done = (settle, value) => { watch.disconnect(); clearTimeout(timer); settle(value); };
  watch.observe(verdict, { attributes: true, attributeFilter: ['data-count'] });
  document.getElementById('manual-code').value = code;
  document.getElementById('manual-submit').click();
})"""


T0 = 1_700_000_000_000
HISTORY_PHONES = 4


@dataclass(frozen=True)
class Setup:
    code: str
    """Pairing code of the measured phone, bound to the Main floor list."""
    history_code: str
    list_id: str
    history: list[str]
    """Pass ids the history phones admitted, in order (see `push_history`)."""
    inside: list[str]
    """Pass ids inside on the list after the history (never out, or back in)."""
    out: list[str]
    """Pass ids that went out and did not come back."""
    fresh: list[str]
    """Tier 1 and 2 passes never scanned."""
    other_tier: list[str]
    """Tier 3 passes: not for this list."""
    tokens: dict[str, str]
    """Pass id -> token, for the passes the bench scans."""


async def setup(db_url: str, event_id: str, history: int, wanted: int) -> Setup:
    """The Main floor list, the two pairing links, and the passes of each kind, with tokens
    for `wanted` passes of each kind the bench scans."""
    engine = create_engine(db_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            event = await session.get_one(Event, event_id)
            tiers = (
                await session.scalars(
                    select(TicketTier)
                    .where(TicketTier.event_id == event.id)
                    .order_by(TicketTier.position)
                )
            ).all()
            floor = await door_lists.save_list(
                session,
                event=event,
                fields=door_lists.ListFields("Main floor", [t.id for t in tiers[:2]], reentry=True),
                actor="bench",
            )
            code = await create_pairing(
                session, event_id=event.id, door="Floor", door_list_id=floor.id
            )
            others = await create_pairing(
                session, event_id=event.id, door="Floor", uses=HISTORY_PHONES, door_list_id=floor.id
            )
            rows = (
                await session.execute(
                    select(Pass.pass_key, Pass.tier_id, EventKey)
                    .join(EventKey, EventKey.id == Pass.key_id)
                    .where(Pass.event_id == event.id)
                    .order_by(Pass.change_seq)
                    .limit(2 * history + 8 * wanted)
                )
            ).all()
            await session.commit()
    finally:
        await engine.dispose()
    allowed = {tiers[0].id, tiers[1].id}
    ids = {row.pass_key: pass_key_text(row.pass_key) for row in rows}
    on_list = [ids[row.pass_key] for row in rows if row.tier_id in allowed]
    moved, fresh = on_list[:history], on_list[history:]
    other_tier = [ids[row.pass_key] for row in rows if row.tier_id not in allowed]
    inside = [p for i, p in enumerate(moved) if i % 4 != 0 or i % 8 == 0]
    out = [p for i, p in enumerate(moved) if i % 4 == 0 and i % 8 != 0]
    scanned = {*inside[: 2 * wanted], *out[:wanted], *fresh[: wanted + 1], *other_tier[:wanted]}
    private: dict[Any, Any] = {}
    signed: dict[str, str] = {}
    for pass_key, _, key in rows:
        if ids[pass_key] not in scanned:
            continue
        if key.id not in private:
            private[key.id] = keys.decrypt_private_key(key.private_key_encrypted, secret_key=SECRET)
        signed[ids[pass_key]] = tokens.issue(
            private_key=private[key.id], kid=key.kid, pass_key=pass_key
        )
    return Setup(
        code=code.code,
        history_code=others.code,
        list_id=str(floor.id),
        history=moved,
        inside=inside,
        out=out,
        fresh=fresh,
        other_tier=other_tier,
        tokens=signed,
    )


def history_scans(
    device: str, door: str, list_id: str, moves: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """One history phone's scans, in seq order: (pass id, direction) each."""
    scans = []
    for seq, (pass_id, direction) in enumerate(moves, start=1):
        scan: dict[str, Any] = {
            "device": device,
            "seq": seq,
            "pass_id": pass_id,
            "scanned_at": T0 + seq * 1000,
            "verdict": "exit" if direction == sync.OUT else "admit",
            "admitted": direction != sync.OUT,
            "door": door,
            "vector": {device: seq - 1} if seq > 1 else {},
            "list": list_id,
        }
        if direction == sync.OUT:
            scan["direction"] = sync.OUT
        scans.append(scan)
    return scans


async def push_history(url: str, found: Setup) -> int:
    """Four phones on the list admit `found.history`, every fourth pass goes out after its
    admission and every eighth comes back in; returns how many scans they pushed."""
    moves: list[list[tuple[str, str]]] = [[] for _ in range(HISTORY_PHONES)]
    for i, pass_id in enumerate(found.history):
        phone = moves[i % HISTORY_PHONES]
        phone.append((pass_id, sync.IN))
        if i % 4 == 0:
            phone.append((pass_id, sync.OUT))
        if i % 8 == 0:
            phone.append((pass_id, sync.IN))
    pushed = 0
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        for n, phone_moves in enumerate(moves):
            paired = await client.post(
                "/api/v1/scanner/pair", json={"code": found.history_code, "name": f"Floor {n + 1}"}
            )
            paired.raise_for_status()
            device, token = paired.json()["device_id"], paired.json()["token"]
            scans = history_scans(device, f"Floor {n + 1}", found.list_id, phone_moves)
            for start in range(0, len(scans), 1000):
                response = await client.post(
                    "/api/v1/scanner/push",
                    json={"scans": scans[start : start + 1000]},
                    headers={"authorization": f"Bearer {token}"},
                )
                response.raise_for_status()
            pushed += len(scans)
    return pushed


def collected(page: Page, name: str, at_least: int = 0, timeout_s: float = 30) -> list[float]:
    """The durations measured so far under `name`, once there are `at_least` of them."""
    script = "([name, n]) => (window.__bench[name] ?? []).length >= n"
    page.wait_for_function(script, arg=[name, at_least], timeout=timeout_s * 1000)
    return [float(ms) for ms in page.evaluate("(name) => window.__bench[name] ?? []", name)]


def feed(
    page: Page, names: tuple[str, ...], codes: list[str], pace_ms: int
) -> tuple[list[str], dict[str, list[float]]]:
    """Feed `codes` one by one, `pace_ms` apart (0: each as soon as the last is shown); the
    verdict codes shown and the new measures under `names`."""
    before = {name: len(collected(page, name)) for name in names}
    verdicts = []
    for code in codes:
        verdicts.append(page.evaluate(FEED, [code, 10_000]))
        if pace_ms:
            page.wait_for_timeout(pace_ms)
    return verdicts, {n: collected(page, n, k + len(codes))[k:] for n, k in before.items()}


def measure(
    url: str, found: Setup, ins: list[str], outs: list[str], frames: int, passes: int, pace_ms: int
) -> dict[str, Any]:
    """Pair a camera phone on the list, collect (a) with a fresh pass in view, then (b) for
    `ins` on the way in and `outs` on the way out."""
    with tempfile.TemporaryDirectory(prefix="poctix-latency-") as folder, sync_playwright() as pw:
        video = write_y4m(Path(folder) / "pass.y4m", found.tokens[found.fresh[0]])
        fake = f"--use-file-for-fake-video-capture={video}"
        context = launch(pw, f"{folder}/profile", *CAMERA, fake, permissions=["camera"])
        try:
            context.add_init_script(COLLECT)
            page = pair(context, url, found.code, passes, timeout_ms=300_000)
            try:  # the camera starts by itself once the scanner is ready
                collected(page, DECODE, 1)
            except Exception as exc:
                status = page.locator("#camera-status").text_content()
                raise RuntimeError(f"no camera frame decoded ({status})") from exc
            native = page.evaluate("typeof BarcodeDetector === 'function'")
            decodes = collected(page, DECODE, frames, timeout_s=frames * 0.5)[:frames]
            page.locator("#camera-toggle").click()
            page.wait_for_selector("#camera-video[hidden]", state="attached")
            names = (VERDICT, COMMITTED, IDB)
            verdicts, measured = feed(page, names, [found.tokens[p] for p in ins], pace_ms)
            page.locator("#direction-out").click()
            page.wait_for_selector('#direction-out[aria-pressed="true"]')
            out_verdicts, out_measured = feed(page, names, [found.tokens[p] for p in outs], pace_ms)
            return {
                DECODE: decodes,
                **measured,
                "out": out_measured[VERDICT],
                "verdicts": verdicts,
                "out_verdicts": out_verdicts,
                "about": [machine(context), "native" if native else "ZXing wasm ponyfill"],
            }
        finally:
            context.close()


def row(label: str, values: Sequence[float]) -> str:
    p50, p95 = pct(values, 50), pct(values, 95)
    return f"| {label} | {len(values):,} | {p50:.1f} | {p95:.1f} | {max(values):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--scans", type=int, default=1000, help="scans on the way in")
    parser.add_argument("--out", type=int, default=250, help="scans on the way out")
    parser.add_argument("--history", type=int, default=20_000, help="passes other phones moved")
    parser.add_argument("--passes", type=int, default=200_000)
    parser.add_argument(
        "--pace-ms", type=int, default=0, help="time between scans (0: back to back)"
    )
    args = parser.parse_args()
    quarter = args.scans // 4
    with database() as db:
        event = run(create_big_event(db, passes=args.passes))
        found = run(setup(db, event.event_id, args.history, max(quarter, args.out)))
        assert isinstance(found, Setup)
        classes = {
            "never scanned": found.fresh[1 : 1 + quarter],
            "inside": found.inside[:quarter],
            "went out": found.out[:quarter],
            "tier 3": found.other_tier[:quarter],
        }
        ins = [p for group in classes.values() for p in group]
        random.Random(7).shuffle(ins)
        outs = found.inside[quarter : quarter + args.out]
        with server(db) as url:
            history = asyncio.run(push_history(url, found))
            result = measure(url, found, ins, outs, args.frames, args.passes, args.pace_ms)
    verdict_ms = dict(zip(ins, result[VERDICT], strict=True))
    shown = dict(zip(ins, result["verdicts"], strict=True))
    both = [d + v for d in result[DECODE] for v in result[VERDICT]]
    computer, decoder = result["about"]
    print(
        f"Command: `{command()}` ({args.passes:,} passes; the Main floor list: tiers 1-2 of 3, "
        f"re-entry; {history:,} scans of {args.history:,} passes by 4 other phones, "
        f"{len(found.out):,} of them out)"
    )
    print(f"Machine: {computer}; QR decoder: {decoder}\n")
    print("| part | n | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    print(row("(a) QR decode of one 640x480 camera frame", result[DECODE]))
    print(row("(b) code → verdict shown, on the way in (target p95 ≤ 33)", result[VERDICT]))
    for label, group in classes.items():
        codes = sorted({shown[p] for p in group})
        print(row(f"… {label} ({', '.join(codes)})", [verdict_ms[p] for p in group]))
    print(row("… code → scan committed to IndexedDB", result[COMMITTED]))
    print(row("… the scan's IndexedDB write transaction", result[IDB]))
    decided = [v - w for v, w in zip(result[VERDICT], result[IDB], strict=True)]
    print(row("… the rest: verify, verdict, DOM (verdict shown less the write)", decided))
    out_codes = ", ".join(sorted(set(result["out_verdicts"])))
    print(row(f"(b) code → verdict shown, on the way out ({out_codes})", result["out"]))
    print(row("(a) + (b), each decode with each verdict on the way in", both))


if __name__ == "__main__":
    main()
