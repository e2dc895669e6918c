"""The one-host install: docker-compose.yml, deploy/Caddyfile, .env.example and the Dockerfile.

Docker is not needed: compose files are checked by what they say (each setting's way from
.env into the containers, health checks, dependencies), computed the way compose computes a
container's environment (env_file, then `environment:` with `${…}` read from .env). The
Caddyfile is validated by the real caddy, and run in front of a loopback echo server to see
what reaches the app.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.ops import env_example
from api.settings import describe
from api.web.ratelimit import forwarded_client

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
ENV_EXAMPLE = ROOT / ".env.example"
SETTINGS = [name for name, _, _ in describe()]
COMPOSE_NETWORK = "172.28.0.0/16"

# The settings docker-compose.yml sets for a container whatever .env says. Each hides an
# operator's .env value, so each must be here, with its reason; everything else under
# `environment:` must be `${NAME:-default}`, where the .env value wins.
FIXED_BY_COMPOSE = {
    "app": {
        "ENVIRONMENT",  # production always: the container refuses to start without SECRET_KEY
        "HOST",  # 0.0.0.0: Caddy reaches the app over the compose network
        "PORT",  # 8000: the Caddyfile's upstream and the health check name it
        "DATA_DIR",  # /data: the uploads volume is mounted there
        "WORKER_IN_PROCESS",  # false: the worker service delivers the outbox
    },
    "worker": {"ENVIRONMENT", "HOST", "PORT", "DATA_DIR"},
}


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def env_example_names() -> list[str]:
    """Every NAME of `NAME=value` and `# NAME=value` lines."""
    pattern = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=", re.MULTILINE)
    return pattern.findall(ENV_EXAMPLE.read_text())


class Missing(Exception):
    """A `${NAME:?message}` whose NAME is unset: compose refuses to start."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?err}`, `${NAME?err}`
    and `$$`, defaults nested as compose allows."""
    value, _ = _interpolate(text, 0, env, nested=False)
    return value


def _interpolate(text: str, i: int, env: Mapping[str, str], *, nested: bool) -> tuple[str, int]:
    out: list[str] = []
    while i < len(text):
        if nested and text[i] == "}":
            return "".join(out), i
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i + 2)
            assert match, f"bad variable at {text[i:]!r}"
            name, i = match.group(), match.end()
            op = next((op for op in (":-", ":?", "-", "?") if text.startswith(op, i)), "")
            arg, i = _interpolate(text, i + len(op), env, nested=True)
            assert text[i] == "}", f"unclosed ${{{name} in {text!r}"
            i += 1
            current = env.get(name)
            if op in (":?", "?") and (current is None or (op == ":?" and not current)):
                raise Missing(f"{name}: {arg}")
            if (op == ":-" and not current) or (op == "-" and current is None):
                current = arg
            out.append(current or "")
        else:
            out.append(text[i])
            i += 1
    assert not nested, f"unclosed ${{ in {text!r}"
    return "".join(out), i


def _strings(node: object) -> Iterator[str]:
    """Every string value in the parsed compose file (what compose interpolates)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def container_env(service: str, dotenv: Mapping[str, str]) -> dict[str, str]:
    """What compose hands the service's process: env_file first, `environment:` over it."""
    spec = compose()["services"][service]
    env_files = spec.get("env_file", [])
    if isinstance(env_files, str):
        env_files = [env_files]
    paths = [entry["path"] if isinstance(entry, dict) else entry for entry in env_files]
    env: dict[str, str] = dict(dotenv) if ".env" in paths else {}
    for name, value in (spec.get("environment") or {}).items():
        env[name] = interpolate(str(value), dotenv)
    return env


def test_env_example_is_what_poctix_settings_env_prints() -> None:
    assert ENV_EXAMPLE.read_text() == env_example.render_env_example(), (
        ".env.example is out of date: run `.venv/bin/poctix settings --env > .env.example`"
    )


def test_env_example_names_every_setting_and_every_compose_variable_once() -> None:
    names = env_example_names()
    assert len(names) == len(set(names)), "a name is listed twice"
    compose_vars = {
        name
        for text in _strings(compose())
        for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text)
    }
    assert set(SETTINGS) <= set(names)
    assert compose_vars <= set(names), "docker-compose.yml reads a variable .env.example lacks"
    assert set(env_example.COMPOSE_ONLY) <= compose_vars


@pytest.mark.parametrize("service", ["app", "worker"])
def test_every_setting_in_env_reaches_the_container_unless_compose_fixes_it(
    service: str,
) -> None:
    dotenv = {name: f"set-in-env-{name.lower()}" for name in env_example_names()}
    env = container_env(service, dotenv)
    fixed = FIXED_BY_COMPOSE[service]
    for name in SETTINGS:
        assert name in env, f"{name} does not reach {service}"
        if name not in fixed:
            assert env[name] == dotenv[name], f"docker-compose.yml hides .env's {name}"
    overridden = {name for name in SETTINGS if env[name] != dotenv[name]}
    assert overridden == fixed, "FIXED_BY_COMPOSE must list exactly what compose fixes"


@pytest.mark.parametrize("service", ["app", "worker"])
def test_env_example_says_what_compose_sets(service: str) -> None:
    env = container_env(service, {"DOMAIN": "tickets.example.com", "POSTGRES_PASSWORD": "pw"})
    for name, value in env_example.COMPOSE_FIXED.items():
        if name in FIXED_BY_COMPOSE[service]:
            assert env[name] == value
    assert set(env_example.COMPOSE_FIXED) == FIXED_BY_COMPOSE["app"]
    shown = {"DOMAIN": "tickets.example.com", "POSTGRES_PASSWORD": "pw"}
    for name, value in env_example.COMPOSE_DEFAULTS.items():
        assert env[name] == interpolate(value, shown)


def test_a_filled_in_env_gives_a_production_app_behind_caddy() -> None:
    dotenv = {"DOMAIN": "tickets.example.com", "POSTGRES_PASSWORD": "s3cret", "SECRET_KEY": "k"}
    env = container_env("app", dotenv)
    assert env["BASE_URL"] == "https://tickets.example.com"
    assert env["DATABASE_URL"] == "postgresql://poctix:s3cret@postgres:5432/poctix"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["ENVIRONMENT"] == "production"
    assert env["WORKER_IN_PROCESS"] == "false"
    assert env["SECRET_KEY"] == "k"
    network = compose()["networks"]["poctix"]["ipam"]["config"][0]["subnet"]
    assert env["TRUSTED_PROXIES"] == network == COMPOSE_NETWORK
    assert (
        interpolate(compose()["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"], dotenv)
        == "s3cret"
    )


def test_compose_refuses_to_start_without_domain_or_database_password() -> None:
    with pytest.raises(Missing, match="DOMAIN"):
        container_env("caddy", {"POSTGRES_PASSWORD": "pw"})
    with pytest.raises(Missing, match="POSTGRES_PASSWORD"):
        container_env("app", {"DOMAIN": "tickets.example.com"})


def test_every_service_has_a_health_check_and_waits_for_healthy_dependencies() -> None:
    services = compose()["services"]
    assert set(services) == {"caddy", "app", "worker", "postgres", "redis"}
    for name, spec in services.items():
        assert spec["healthcheck"]["test"], f"{name} has no health check"
        assert spec.get("restart") == "unless-stopped", name
    needs = {"caddy": {"app"}, "app": {"postgres", "redis"}, "worker": {"app", "postgres", "redis"}}
    for name, dependencies in needs.items():
        depends_on = services[name]["depends_on"]
        assert set(depends_on) == dependencies, name
        for dependency in dependencies:
            assert depends_on[dependency]["condition"] == "service_healthy", (name, dependency)
    assert "/healthz" in " ".join(services["app"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    assert services["app"]["command"] == ["poctix", "run"]
    assert services["worker"]["command"] == ["poctix", "worker"]


def test_only_caddy_is_reachable_from_outside_and_it_serves_the_caddyfile() -> None:
    services = compose()["services"]
    assert [name for name, spec in services.items() if "ports" in spec] == ["caddy"]
    caddy = services["caddy"]
    assert caddy["image"] == "caddy:2"
    assert set(caddy["ports"]) == {"80:80", "443:443", "443:443/udp"}
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    volumes = {volume.split(":")[1] for volume in caddy["volumes"]}
    assert {"/data", "/config"} <= volumes
    assert "appdata:/data" in services["app"]["volumes"]


def test_dockerfile_is_multi_stage_non_root_with_the_server_s_pg_dump() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[1:]
    assert len(stages) >= 2
    runtime = stages[-1]
    assert re.search(r"^USER (?!root)\w+", runtime, re.MULTILINE)
    assert re.search(r"^EXPOSE 8000$", runtime, re.MULTILINE)
    assert "postgresql-client-${PG_MAJOR}" in runtime
    pg_major = re.search(r"^ARG PG_MAJOR=(\d+)$", runtime, re.MULTILINE)
    assert pg_major, "the runtime stage names the PostgreSQL major version of its client tools"
    assert compose()["services"]["postgres"]["image"] == f"postgres:{pg_major.group(1)}"


def caddy_binary() -> str:
    binary = shutil.which("caddy")
    if binary is None:
        pytest.fail("caddy is needed for these tests: apt-get install caddy")
    return binary


def caddy_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """No admin files, certificates or config written outside tmp_path."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOMAIN", "UPSTREAM")}
    env.pop("CADDY_GLOBAL_OPTIONS", None)
    home = {"HOME": tmp_path, "XDG_DATA_HOME": tmp_path / "data", "XDG_CONFIG_HOME": tmp_path}
    return env | {k: str(v) for k, v in home.items()} | values


def test_caddyfile_is_valid_for_the_production_domain(tmp_path: Path) -> None:
    result = subprocess.run(
        [caddy_binary(), "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=caddy_env(tmp_path, DOMAIN="tickets.example.com"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


class _Echo(BaseHTTPRequestHandler):
    """Answers every GET with the request's headers as JSON."""

    def do_GET(self) -> None:
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def echo_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@contextlib.contextmanager
def caddy_in_front_of(upstream_port: int, tmp_path: Path) -> Iterator[str]:
    """The real Caddyfile on a loopback port, plain HTTP (no certificates), admin API off."""
    port = _free_port()
    env = caddy_env(
        tmp_path,
        DOMAIN=f"http://127.0.0.1:{port}",
        UPSTREAM=f"127.0.0.1:{upstream_port}",
        CADDY_GLOBAL_OPTIONS="admin off\n\tauto_https off",
    )
    log = (tmp_path / "caddy.log").open("w")
    proc = subprocess.Popen(
        [caddy_binary(), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("caddy did not start:\n" + (tmp_path / "caddy.log").read_text())
            time.sleep(0.02)  # polling the port, not waiting for a guessed duration
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_caddy_drops_a_forged_cf_connecting_ip_and_forwards_the_client_address(
    echo_server: int, tmp_path: Path
) -> None:
    with caddy_in_front_of(echo_server, tmp_path) as url:
        request = urllib.request.Request(
            url + "/checkout",
            headers={"CF-Connecting-IP": "203.0.113.9", "X-Forwarded-For": "198.51.100.7"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            seen = json.loads(response.read())
    assert "cf-connecting-ip" not in seen
    assert seen["x-forwarded-for"] == "127.0.0.1"
    # The app, seeing these headers from Caddy's address on the compose network, counts the
    # request under the client's address, not under either address the client made up.
    proxies = (ipaddress.ip_network(COMPOSE_NETWORK),)
    assert forwarded_client("172.28.0.3", seen, proxies) == "127.0.0.1"
