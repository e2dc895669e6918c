"""Settings: read from the environment, with clear messages for anything missing or wrong."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from api.settings import Settings, SettingsError, describe


def test_production_without_secret_key_refuses_to_start_and_says_what_to_set() -> None:
    settings = Settings.from_env({"ENVIRONMENT": "production"})
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        settings.with_secret_key()


def test_development_generates_a_secret_key_once_and_reuses_it(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path)}
    first = Settings.from_env(env).with_secret_key()
    second = Settings.from_env(env).with_secret_key()
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_short_secret_key_is_refused() -> None:
    with pytest.raises(SettingsError, match="at least 32 characters"):
        Settings.from_env({"SECRET_KEY": "short"}).with_secret_key()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, "PORT='eighty' is not a valid int"),
        ({"PORT": "70000"}, "PORT=70000 is not a TCP port"),
        ({"PLATFORM_FEE_CENTS": "-1"}, "PLATFORM_FEE_CENTS must be 0 or more"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must be a PostgreSQL URL"),
        ({"TRUSTED_PROXIES": "10.0.0.0/8,nonsense"}, "TRUSTED_PROXIES='10.0.0.0/8,nonsense'"),
        ({"WORKER_IN_PROCESS": "maybe"}, "WORKER_IN_PROCESS='maybe'"),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT='staging' is not one of"),
    ],
)
def test_malformed_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env(env)


def test_values_are_converted_to_their_types() -> None:
    settings = Settings.from_env(
        {
            "PORT": "9000",
            "PLATFORM_FEE_CENTS": "150",
            "TRUSTED_PROXIES": "173.245.48.0/20, 2400:cb00::/32",
            "WORKER_IN_PROCESS": "false",
            "DATA_DIR": "/srv/poctix",
        }
    )
    assert settings.port == 9000
    assert settings.platform_fee_cents == 150
    assert settings.trusted_proxies == (
        ipaddress.ip_network("173.245.48.0/20"),
        ipaddress.ip_network("2400:cb00::/32"),
    )
    assert settings.worker_in_process is False
    assert settings.data_dir == Path("/srv/poctix")


def test_platform_fee_defaults_to_two_dollars() -> None:
    assert Settings.from_env({}).platform_fee_cents == 200


def test_every_setting_is_documented() -> None:
    rows = describe()
    assert {name for name, _, _ in rows} >= {
        "DATABASE_URL",
        "SECRET_KEY",
        "BASE_URL",
        "STRIPE_SECRET_KEY",
        "SENTRY_DSN",
        "ADMIN_USERNAME",
        "TRUSTED_PROXIES",
        "PLATFORM_FEE_CENTS",
        "DATA_DIR",
        "SMTP_HOST",
    }
    undocumented = [name for name, _, doc in rows if not doc]
    assert undocumented == []


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    missing = [name for name, _, _ in describe() if f"| `{name}` |" not in readme]
    assert missing == []


def test_with_no_base_url_links_name_the_port_served_on() -> None:
    """`PORT=8123 make run`: every process and command of that server (the web app, its outbox
    workers, `poctix outbox --show` reading a kept email) links to :8123, not :8000."""
    assert Settings.from_env({"PORT": "8123"}).base_url == "http://127.0.0.1:8123"
    assert Settings.from_env({}).base_url == "http://127.0.0.1:8000"
    named = Settings.from_env({"PORT": "8123", "BASE_URL": "https://tix.example"})
    assert named.base_url == "https://tix.example"
