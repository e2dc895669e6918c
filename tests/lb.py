"""A load balancer in front of several POCtix processes for the many-hosts test: Caddy.

Why Caddy and not a small proxy of our own: `docker-compose.yml` already puts Caddy in front of
the app, so the test runs what production runs, with its real behaviour on the points that
matter here, instead of our guess at them:

- `lb_policy round_robin`: consecutive requests go to consecutive upstreams, so a burst from
  one client is spread over every process;
- failover: a process that stops answers connections with "refused"; the request that meets
  it gets a 502 (it reached no process, so nothing was applied and the client may send it
  again) and the process is left out for `fail_duration`; the active health checks on
  `/healthz` leave it out too, and take it back once it answers again;
- `X-Forwarded-For` is set to the client's address (Caddy ignores the incoming header from
  clients it does not trust) and `CF-Connecting-IP` is dropped, as `deploy/Caddyfile` does, so
  the apps, with the balancer's 127.0.0.1 in TRUSTED_PROXIES, count rate limits per client
  and no client can choose the address it is counted under;
- server-sent events (`text/event-stream`) are flushed through at once.

No `lb_try_duration` (retrying a refused request on the next process): Caddy before the fix
of caddyserver/caddy#7546 (PR #7547, 2026; Debian ships 2.6.2) closes a request's body on the
dial error, so the retry of a POST reaches the next process with its body cut off (the app
logs a 500 for the disconnect, the client gets a 502) and counts a failure against that
healthy process, leaving one process to carry everything for `fail_duration`. This test found
it; without retries a stopped process costs the one or two requests sent to it before Caddy
notices, as 502s that changed nothing.

Caddy is Debian's package (`apt-get install caddy`, or CADDY_PATH). It runs with its admin API
off, its data and config folders in a temporary directory (it touches nothing else) and debug
logging into the test's `caddy.log` (every upstream round trip, for a failure's post-mortem).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.fault_support import free_port, wait_until

CADDYFILE = """\
{{
\tdebug
\tadmin off
\tauto_https off
}}

http://127.0.0.1:{port} {{
\treverse_proxy {upstreams} {{
\t\tlb_policy round_robin
\t\tfail_duration 30s
\t\tmax_fails 1
\t\thealth_uri /healthz
\t\thealth_interval {health_interval}
\t\thealth_timeout 5s
\t\theader_up -CF-Connecting-IP
\t}}
}}
"""


def caddy_path() -> str:
    found = os.environ.get("CADDY_PATH") or shutil.which("caddy")
    if found is None:
        raise RuntimeError("caddy is needed for the many-hosts test: apt-get install caddy")
    return found


@contextlib.contextmanager
def caddy_balancer(
    upstreams: list[str], log: Path, *, port: int | None = None, health_interval: str = "2s"
) -> Iterator[str]:
    """Caddy round-robining over `upstreams` (`http://127.0.0.1:PORT` each) on `port` (if it is
    still free, else on another free loopback port) until the block ends; yields its URL as
    soon as it listens. Upstreams down when it starts are taken in by the next health check."""
    hosts = " ".join(url.removeprefix("http://") for url in upstreams)
    with tempfile.TemporaryDirectory(prefix="poctix-caddy-") as workdir:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": workdir,
            "XDG_DATA_HOME": workdir,
            "XDG_CONFIG_HOME": workdir,
        }
        for attempt in range(3):  # a free port can be taken before Caddy binds it
            port = port if port and attempt == 0 else free_port()
            config = Path(workdir) / "Caddyfile"
            config.write_text(
                CADDYFILE.format(port=port, upstreams=hosts, health_interval=health_interval)
            )
            with log.open("a") as out:
                proc = subprocess.Popen(
                    [caddy_path(), "run", "--config", str(config), "--adapter", "caddyfile"],
                    env=env, stdout=out, stderr=subprocess.STDOUT, cwd=workdir,
                )  # fmt: skip
            try:
                if _listening(proc, port, log):
                    yield f"http://127.0.0.1:{port}"
                    return
            finally:
                _stop(proc)
        raise AssertionError(f"caddy could not listen:\n{log.read_text()}")


def _listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    """True once Caddy accepts connections on `port`; False if it could not bind it."""

    def ready() -> str:
        if proc.poll() is not None:
            if "address already in use" in log.read_text():
                return "taken"
            raise AssertionError(f"caddy exited early:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return "listening"
        return ""

    return bool(wait_until(ready, within=30, what="caddy listens", every=0.05) == "listening")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
