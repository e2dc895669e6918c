"""A load balancer in front of several POCtix processes for the many-hosts test: Caddy.

Why Caddy and not a small proxy of our own: `docker-compose.yml` already puts Caddy in front of
the app, so the test runs what production runs, with its real behaviour on the points that
matter here, instead of our guess at them:

- `lb_policy round_robin`: consecutive requests go to consecutive upstreams, so a burst from
  one client is spread over every process;
- passive failover: a connection refused (a process stopped) is a dial error, which Caddy
  retries on the next upstream for any method within `lb_try_duration`, and the failed upstream
  is left out for `fail_duration`; a request already sent to an upstream that then fails is
  not retried for a POST (it may have been applied) and becomes a 502, as a browser would see;
- active health checks on `/healthz`;
- `X-Forwarded-For` is set to the client's address (Caddy ignores the incoming header from
  clients it does not trust) and `CF-Connecting-IP` is dropped, as `deploy/Caddyfile` does, so
  the apps, with the balancer's 127.0.0.1 in TRUSTED_PROXIES, count rate limits per client
  and no client can choose the address it is counted under;
- server-sent events (`text/event-stream`) are flushed through at once.

Caddy is Debian's package (`apt-get install caddy`, or CADDY_PATH). It runs with its admin API
off and its data and config folders in a temporary directory, so it touches nothing else.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.fault_support import free_port, wait_until

CADDYFILE = """\
{{
\tadmin off
\tauto_https off
}}

http://127.0.0.1:{port} {{
\treverse_proxy {upstreams} {{
\t\tlb_policy round_robin
\t\tlb_try_duration 15s
\t\tlb_try_interval 100ms
\t\tfail_duration 30s
\t\tmax_fails 1
\t\thealth_uri /healthz
\t\thealth_interval 2s
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
def caddy_balancer(upstreams: list[str], log: Path, *, port: int | None = None) -> Iterator[str]:
    """Caddy round-robining over `upstreams` (`http://127.0.0.1:PORT` each) on `port` (a free
    loopback port by default) until the block ends; yields its URL once it answers /healthz
    through an upstream."""
    port = port or free_port()
    hosts = " ".join(url.removeprefix("http://") for url in upstreams)
    with tempfile.TemporaryDirectory(prefix="poctix-caddy-") as workdir:
        config = Path(workdir) / "Caddyfile"
        config.write_text(CADDYFILE.format(port=port, upstreams=hosts))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": workdir,
            "XDG_DATA_HOME": workdir,
            "XDG_CONFIG_HOME": workdir,
        }
        with (
            log.open("a") as out,
            subprocess.Popen(
                [caddy_path(), "run", "--config", str(config), "--adapter", "caddyfile"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=workdir,
            ) as proc,
        ):
            url = f"http://127.0.0.1:{port}"

            def answers() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(f"caddy exited early:\n{log.read_text()}")
                try:
                    return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
                except httpx.TransportError:
                    return False

            try:
                wait_until(answers, within=30, what="caddy answers /healthz", every=0.05)
                yield url
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
