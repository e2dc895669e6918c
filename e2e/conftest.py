"""Playwright fixtures: a live POCtix process on a free port, and a real Chromium.

Chromium is Debian's (`/usr/bin/chromium`, or CHROMIUM_PATH); where there is none, Playwright's
own browser is used (it must have been installed with `playwright install chromium`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from e2e.relay import Relay
from tests.conftest import database_url, postgres  # noqa: F401  (shared fixtures)
from tests.stripe_standin.standin import StripeStandin

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


E2E_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is `e2e` and `slow`, so `pytest -m "not slow"` (`make test-fast`)
    leaves the whole folder out without each module having to say so."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@dataclass(frozen=True)
class LiveApp:
    url: str
    """BASE_URL: what buyers and phones open (through `relay` when there is one)."""
    database_url: str
    secret_key: str
    output: Path
    direct_url: str
    """The server's own address: for whoever keeps the network while the phones lose it (an
    organizer at the office, Stripe's webhooks)."""
    relay: Relay | None = None
    """Between the browser and the server: cut it for airplane mode (e2e/airplane.py)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def live_app(database_url: str, tmp_path: Path) -> AsyncIterator[LiveApp]:  # noqa: F811
    """`poctix run --demo` as a real process with its own database, behind a relay."""
    async with run_app_behind_relay(database_url, tmp_path) as app:
        yield app


@contextlib.asynccontextmanager
async def run_app_behind_relay(
    database_url: str,  # noqa: F811
    tmp_path: Path,
    **extra_env: str,
) -> AsyncIterator[LiveApp]:
    """`run_app` with a relay in front: BASE_URL is the relay's address, so every link the
    server makes, and every page, worker and fetch of the browser, goes through it, and cutting
    it (e2e/airplane.py) leaves the browser with no server, as a phone in airplane mode."""
    port = _free_port()
    relay = Relay(target_port=port)
    await relay.start()
    try:
        with run_app(
            database_url, tmp_path, port=port, public_url=f"http://127.0.0.1:{relay.port}",
            relay=relay, **extra_env,
        ) as app:  # fmt: skip
            yield app
    finally:
        await relay.cut()


@contextlib.contextmanager
def run_app(
    database_url: str,  # noqa: F811
    tmp_path: Path,
    *,
    args: tuple[str, ...] = (),
    port: int | None = None,
    public_url: str | None = None,
    ready: Callable[[int], bool] | None = None,
    relay: Relay | None = None,
    **extra_env: str,
) -> Iterator[LiveApp]:
    """`poctix run --demo ARGS` on 127.0.0.1:`port`, making its links with `public_url`
    (BASE_URL; default the plain address); `ready(port)` says when it serves (default: /healthz
    over plain HTTP answers 200). Stopped with SIGINT; every page it served must have kept to the
    Content-Security-Policy."""
    port = port or _free_port()
    url = public_url or f"http://127.0.0.1:{port}"
    secret = "e2e-secret-" + "x" * 40
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE", "SENTRY"))}
    env.update(DATABASE_URL=database_url, DATA_DIR=str(tmp_path), SECRET_KEY=secret, BASE_URL=url)
    env.update(extra_env)
    output = tmp_path / "server.log"
    with (
        output.open("w") as log,
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "run", "--demo", *args, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ) as proc,
    ):
        try:
            _wait_until_serving(proc, port, output, ready or _healthz)
            yield LiveApp(
                url=url,
                database_url=database_url,
                secret_key=secret,
                output=output,
                direct_url=f"{'https' if '--https' in args else 'http'}://127.0.0.1:{port}",
                relay=relay,
            )
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    # Every page the suite opened ran under the strict Content-Security-Policy: browsers report
    # each violation to /csp-report, which logs it.
    violations = [line for line in output.read_text().splitlines() if "csp violation" in line]
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def _healthz(port: int) -> bool:
    with contextlib.suppress(httpx.TransportError):
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    return False


def _wait_until_serving(
    proc: subprocess.Popen[bytes], port: int, output: Path, ready: Callable[[int], bool]
) -> None:
    """Poll until `ready` (start-up includes migrating), or fail with the server's log."""
    for _ in range(600):
        if ready(port):
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.1)
        if proc.returncode is not None:
            pytest.fail(f"poctix run exited early:\n{output.read_text()}")
    pytest.fail(f"poctix run did not answer /healthz:\n{output.read_text()}")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        path = chromium_path()
        launched = await playwright.chromium.launch(
            executable_path=path, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


CSP_WATCH = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
});
"""


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(service_workers="allow")
    await ctx.add_init_script(CSP_WATCH)
    violations: list[str] = []

    def watch(page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "CSP violation" in message.text or "Content Security Policy" in message.text
                else None
            ),
        )

    ctx.on("page", watch)
    yield ctx
    await ctx.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def standin() -> Iterator[StripeStandin]:
    with StripeStandin() as running:
        yield running


@contextlib.asynccontextmanager
async def run_app_with_stripe(
    database_url: str,  # noqa: F811
    tmp_path: Path,
    standin: StripeStandin,
    **env: str,
) -> AsyncIterator[LiveApp]:
    """`run_app_behind_relay` with Stripe set to the stand-in (and `env` besides), whose
    webhooks come back to the app."""
    async with run_app_behind_relay(
        database_url, tmp_path, STRIPE_SECRET_KEY=standin.api_key, STRIPE_API_BASE=standin.url,
        STRIPE_WEBHOOK_SECRET=standin.webhook_secret,
        STRIPE_CONNECT_WEBHOOK_SECRET=standin.connect_webhook_secret, **env,
    ) as app:  # fmt: skip
        # Stripe reaches the server over the internet, not through the buyer's phone.
        standin.webhook_url = f"{app.direct_url}/webhooks/stripe"
        standin.connect_webhook_url = f"{app.direct_url}/webhooks/stripe-connect"
        yield app


@pytest.fixture
async def paid_app(
    database_url: str,  # noqa: F811
    tmp_path: Path,
    standin: StripeStandin,
) -> AsyncIterator[LiveApp]:
    async with run_app_with_stripe(database_url, tmp_path, standin) as app:
        yield app
