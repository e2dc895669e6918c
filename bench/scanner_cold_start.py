"""Door scanner cold start: a fresh phone pairs with a 50,000-pass event until it can scan.

    .venv/bin/python -m bench.scanner_cold_start [--runs 5] [--passes 50000]

Each run is a new headless Chromium profile (a persistent context: IndexedDB on disk, as on a
phone). Times are taken in the page (User Timing clock), so Playwright's polling adds nothing:

- cold start: the "Pair" click (the form's submit event) -> `body[data-ready="true"]`; of which
  the bootstrap download (its Resource Timing, request start -> response end) and the rest
  (unpack, IndexedDB fill, first pull);
- warm reload: navigation start -> ready, once the service worker controls the page;
- offline reload: the same with the network cut (page served by the service worker).

The bootstrap's size on the wire is read once with httpx, as a device paired here.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import math
import os
import sys
import tempfile
from collections.abc import Sequence

import httpx
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from bench.harness import create_big_event, database, pairing_code, run, server
from e2e.conftest import CHROMIUM_ARGS

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
READY = 'body[data-ready="true"]'
Times = dict[str, float]

# Runs in every document before the app: when the pair form was submitted, when the page
# became ready (both in that document's performance.now(), whose 0 is navigation start).
TIMING = """
(() => {
  const t = (window.__bench = { submit: null, ready: null });
  document.addEventListener('submit', (e) => {
    if (e.target.id === 'pair-form' && t.submit === null) t.submit = performance.now();
  }, true);
  new MutationObserver(() => {
    if (t.ready === null && document.body?.dataset.ready === 'true') t.ready = performance.now();
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
})();
"""
BOOTSTRAP_TIMING = """() => {
  const [e] = performance.getEntriesByType('resource').filter((r) => r.name.includes('/bootstrap'));
  return e ? [e.startTime, e.responseEnd] : null;
}"""


def launch(playwright: Playwright, profile: str, *extra: str, **options: object) -> BrowserContext:
    """Debian's headless Chromium with an on-disk profile and service workers on."""
    return playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, *extra],
        headless=True,
        service_workers="allow",
        **options,  # type: ignore[arg-type]
    )


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def machine(context: BrowserContext) -> str:
    """Cores, memory, the browser's full version (the user agent string hides it), today."""
    cores = len(os.sched_getaffinity(0))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cdp = context.new_cdp_session(context.pages[0])
    version = str(cdp.send("Browser.getVersion")["product"]).rpartition("/")[2]
    cdp.detach()
    today = datetime.date.today()
    return f"{cores} cores (nproc), {memory:.0f} GiB, Chromium {version} headless, {today}"


def bootstrap_sizes(url: str, code: str) -> tuple[int, int, str]:
    """(bytes on the wire, bytes of body, Content-Encoding) of one binary bootstrap download (the
    one the scanner makes)."""
    with httpx.Client(base_url=url, timeout=60) as client:
        paired = client.post("/api/v1/scanner/pair", json={"code": code, "name": "Bench sizes"})
        paired.raise_for_status()
        headers = {"Authorization": f"Bearer {paired.json()['token']}", "Accept-Encoding": "gzip"}
        with client.stream("GET", "/api/v1/scanner/bootstrap/binary", headers=headers) as response:
            response.raise_for_status()
            raw = b"".join(response.iter_raw())
            encoding = response.headers.get("content-encoding", "identity")
    body = gzip.decompress(raw) if encoding == "gzip" else raw
    return len(raw), len(body), encoding


def check_passes(page: Page, passes: int) -> None:
    cached = page.locator("#status-cache").text_content()
    if cached != str(passes):
        raise RuntimeError(f"the scanner holds {cached} passes, not {passes}")


def pair(
    context: BrowserContext, url: str, code: str, passes: int, *, timeout_ms: int = 60_000
) -> Page:
    """Open the pairing link, name the door, pair, and wait until the scanner is ready."""
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{url}/scan#pair={code}")
    page.locator("#pair-name").fill("Bench door")
    page.locator("#pair-submit").click()
    page.wait_for_selector(READY, timeout=timeout_ms)
    check_passes(page, passes)
    return page


def command() -> str:
    """The command line that ran this benchmark, for the README."""
    spec = sys.modules["__main__"].__spec__
    return " ".join([".venv/bin/python -m", spec.name if spec else sys.argv[0], *sys.argv[1:]])


def one_run(playwright: Playwright, url: str, code: str, passes: int) -> tuple[Times, str]:
    """One phone from a new profile: cold start, warm reload, offline reload (ms each)."""
    with tempfile.TemporaryDirectory(prefix="poctix-profile-") as profile:
        context = launch(playwright, profile)
        try:
            context.add_init_script(TIMING)
            page = pair(context, url, code, passes)
            cold = page.evaluate("window.__bench")
            download = page.evaluate(BOOTSTRAP_TIMING)
            times = {
                "cold": cold["ready"] - cold["submit"],
                "download": download[1] - download[0],
                "fill": cold["ready"] - download[1],
            }
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            for phase, offline in (("warm", False), ("offline", True)):
                context.set_offline(offline)
                response = page.reload()
                page.wait_for_selector(READY, timeout=60_000)
                if not (response and response.from_service_worker):
                    raise RuntimeError(f"the {phase} reload was not served by the service worker")
                times[phase] = page.evaluate("window.__bench.ready")
                check_passes(page, passes)
            return times, machine(context)
        finally:
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--passes", type=int, default=50_000)
    args = parser.parse_args()
    with database() as db:
        event = run(create_big_event(db, passes=args.passes))
        codes = [run(pairing_code(db, event.event_id, "Bench door")) for _ in range(args.runs + 1)]
        with server(db) as url:
            wire, body, encoding = bootstrap_sizes(url, codes[0])
            with sync_playwright() as playwright:
                runs = [one_run(playwright, url, code, args.passes) for code in codes[1:]]
    phases = [
        ("cold start: pair click → ready", "cold", "≤ 2,000"),
        ("… bootstrap request → last byte (server + transfer)", "download", ""),
        ("… then unpack + IndexedDB fill + first pull → ready", "fill", ""),
        ("warm reload: navigation → ready", "warm", ""),
        ("offline reload: navigation → ready", "offline", ""),
    ]
    print(f"Command: `{command()}` ({args.passes:,} passes, a new profile per run)")
    print(f"Machine: {runs[0][1]}\n")
    print(f"| {args.passes:,} passes, {args.runs} runs | p50 | max | target |")
    print("|---|---:|---:|---:|")
    for label, key, target in phases:
        values = [times[key] for times, _ in runs]
        print(f"| {label} (ms) | {pct(values, 50):,.0f} | {max(values):,.0f} | {target} |")
    print(f"| bootstrap, {encoding} on the wire (bytes) | {wire:,} | | |")
    print(f"| bootstrap body, binary (bytes) | {body:,} | | |")


if __name__ == "__main__":
    main()
