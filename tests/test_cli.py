"""The `poctix` command, run as a real process, as an operator would run it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests import pages

POCTIX = [sys.executable, "-m", "api.cli"]


def _env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE", "SENTRY"))}
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path),
        SECRET_KEY="s" * 48,
        BASE_URL="http://tickets.example",
        **extra,
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(POCTIX + args, env=env, capture_output=True, text=True, timeout=120)


def test_demo_creates_the_event_once_and_prints_its_links(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path)
    first = _run(["demo"], env)
    assert first.returncode == 0, first.stderr
    assert "Created the demo event." in first.stdout
    assert "Event page:   http://tickets.example/e/full-moon" in first.stdout
    assert "Door scanner: http://tickets.example/scan#pair=" in first.stdout
    assert "Dashboard:    http://tickets.example/admin" in first.stdout
    second = _run(["demo"], env)
    assert second.returncode == 0, second.stderr
    assert "The demo event already exists." in second.stdout


def test_migrate_reports_an_up_to_date_database(database_url: str, tmp_path: Path) -> None:
    result = _run(["migrate"], _env(database_url, tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Database is up to date." in result.stdout


def test_scanner_link_for_an_unknown_event_says_so(database_url: str, tmp_path: Path) -> None:
    result = _run(["scanner-link", "no-such-event"], _env(database_url, tmp_path))
    assert result.returncode == 1
    assert "No event with slug 'no-such-event'." in result.stderr


def test_production_without_secret_key_stops_with_what_to_set(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path, ENVIRONMENT="production")
    del env["SECRET_KEY"]
    result = _run(["run"], env)
    assert result.returncode == 1
    assert "SECRET_KEY is not set. In production set SECRET_KEY" in result.stderr


def test_settings_lists_every_variable_with_its_meaning(database_url: str, tmp_path: Path) -> None:
    result = _run(["settings"], _env(database_url, tmp_path))
    assert result.returncode == 0
    assert "PLATFORM_FEE_CENTS  (default: 200)" in result.stdout
    assert "DATABASE_URL  (default: unset)" in result.stdout


def test_worker_runs_until_told_to_stop_and_exits_cleanly(
    database_url: str, tmp_path: Path
) -> None:
    with subprocess.Popen(
        [*POCTIX, "worker"],
        env=_env(database_url, tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "worker started" in line:
                break
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_migrates_and_serves(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    with subprocess.Popen(
        [*POCTIX, "run", "--demo", "--port", str(port)],
        env=_env(database_url, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        _check_serving(proc, port)


def test_run_on_another_port_without_base_url_prints_links_to_that_port(
    database_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = {k: v for k, v in _env(database_url, tmp_path).items() if k != "BASE_URL"}
    with subprocess.Popen(
        [*POCTIX, "run", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            printed: list[str] = []
            serving = threading.Event()

            def read(stream: IO[str]) -> None:
                # Read to the end, so the server never blocks on a full pipe while it stops.
                for line in stream:
                    printed.append(line)
                    if "POCtix is serving at" in line:
                        serving.set()
                serving.set()

            threading.Thread(target=read, args=(proc.stdout,), daemon=True).start()
            assert serving.wait(timeout=120), "".join(printed)
            shown = list(printed)
            shown = shown[: next(i for i, line in enumerate(shown) if "serving at" in line) + 1]
            links = [line.split()[-1] for line in shown if "http://" in line]
            assert links, "".join(printed)
            assert all(link.startswith(f"http://127.0.0.1:{port}/") for link in links), links
            event_page = next(link for link in links if "/e/" in link)
            assert _get_when_up(event_page, within=120).status_code == 200  # it opens there
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()  # not left running into the next test
                raise


def test_link_commands_with_only_port_set_print_links_to_that_port(
    database_url: str, tmp_path: Path
) -> None:
    """`PORT=8123 poctix sign-in-link …` beside `PORT=8123 poctix run`: the links open there."""
    env = {k: v for k, v in _env(database_url, tmp_path, PORT="8123").items() if k != "BASE_URL"}
    signed = _run(["sign-in-link", "owner@venue.example"], env)
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout.strip().startswith("http://127.0.0.1:8123/login/confirm?token=")
    demo = _run(["demo"], env)
    assert demo.returncode == 0, demo.stderr
    assert "Event page:   http://127.0.0.1:8123/e/full-moon" in demo.stdout
    paired = _run(["scanner-link", "full-moon"], env)
    assert paired.returncode == 0, paired.stderr
    assert paired.stdout.strip().startswith("http://127.0.0.1:8123/scan#pair=")
    # A BASE_URL is used as given, whatever the port.
    given = _run(["sign-in-link", "owner@venue.example"], {**env, "BASE_URL": "https://t.example"})
    assert given.stdout.strip().startswith("https://t.example/login/confirm?token=")


def _check_serving(proc: subprocess.Popen[str], port: int) -> None:
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "POCtix is serving at" in line:
                assert f"http://127.0.0.1:{port}/" in line
                break
        else:
            pytest.fail("poctix run exited before serving")
        response = _get_when_up(f"http://127.0.0.1:{port}/e/full-moon")
        assert response.status_code == 200
        assert pages.text(response.text, "h1") == "Full Moon Beach Party"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_logs_are_json_lines_carrying_the_request_id(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    with subprocess.Popen(
        [*POCTIX, "run", "--port", str(port)],
        env=_env(database_url, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stderr is not None
        try:
            for line in proc.stderr:
                if "POCtix is serving at" in line:
                    break
            response = _get_when_up(f"http://127.0.0.1:{port}/healthz?token=hunter2")
            request_id = response.headers["x-request-id"]
        finally:
            proc.send_signal(signal.SIGINT)
            rest = proc.stderr.read()
            proc.wait(timeout=30)
    entries = [json.loads(line) for line in rest.splitlines() if line.startswith("{")]
    access = [e for e in entries if e.get("request_id") == request_id]
    assert access, rest
    assert access[0]["path"] == "/healthz"
    assert access[0]["status"] == 200
    assert "hunter2" not in rest


def _get_when_up(url: str, *, within: float = 30) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise


@pytest.mark.parametrize(("dsn", "active"), [("", False), ("http://key@127.0.0.1:9/1", True)])
def test_sentry_is_initialised_only_when_a_dsn_is_set(dsn: str, active: bool) -> None:
    script = (
        "import sentry_sdk\n"
        "from api.web.observability import init_sentry\n"
        f"print(init_sentry({dsn!r}, environment='test'), sentry_sdk.get_client().is_active())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == [str(active), str(active)]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_stops_its_workers_and_the_embedded_database_on_sigterm_and_sigint(
    stop: signal.Signals, tmp_path: Path
) -> None:
    port = _free_port()
    env = _env("", tmp_path)
    env.pop("DATABASE_URL")  # the embedded PostgreSQL in DATA_DIR
    with subprocess.Popen(
        [*POCTIX, "run", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    ) as proc:  # fmt: skip
        try:
            # A first start creates the embedded cluster (initdb) and migrates: allow for it.
            up = _get_when_up(f"http://127.0.0.1:{port}/healthz", within=180)
            assert up.status_code == 200
            postmaster = tmp_path / "postgres" / "postmaster.pid"
            database_pid = int(postmaster.read_text().split()[0])
            children = _children(proc.pid)
            assert children, "the outbox worker runs as a child process"
            proc.send_signal(stop)
            _, errors = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode in (0, 1), errors  # SIGINT: click's "Aborted!" exit status
    assert not postmaster.exists(), f"the embedded PostgreSQL was stopped\n{errors}"
    for pid in [database_pid, *children]:
        assert not _alive(pid), f"process {pid} outlived poctix run\n{errors}"


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone but for its exit status.
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
