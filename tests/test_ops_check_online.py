"""`poctix check --online` against the Stripe stand-in, the mail API stand-in and an SMTP sink."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.ops.check import run_check
from api.payments.webhooks import CONNECT, PLATFORM
from tests.mail_standin import MailApiStandin, SmtpSink
from tests.mail_standin.api import unreachable_url
from tests.mail_standin.kit import mail_api_fixture, smtp_sink_fixture
from tests.stripe_standin import StripeStandin
from tests.stripe_standin.fixtures import stripe_standin, stripe_standin_server

__all__ = ["mail_api_fixture", "smtp_sink_fixture", "stripe_standin", "stripe_standin_server"]

BASE = "https://tickets.example.org"


@pytest.fixture
def stripe_dashboard(stripe_standin: StripeStandin) -> StripeStandin:
    """Both webhook endpoints made in the dashboard as the README says."""
    stripe_standin.add_webhook_endpoint(f"{BASE}/webhooks/stripe", sorted(PLATFORM))
    stripe_standin.add_webhook_endpoint(
        f"{BASE}/webhooks/stripe-connect", sorted(CONNECT), connect=True
    )
    return stripe_standin


@pytest.fixture
def production_env(
    stripe_standin: StripeStandin, mail_api: MailApiStandin, smtp_sink: SmtpSink, tmp_path: Path
) -> dict[str, str]:
    """A production host's complete settings, its providers being the stand-ins."""
    return {
        "ENVIRONMENT": "production",
        "DATABASE_URL": "postgresql://poctix:pw@127.0.0.1/poctix",
        "DATA_DIR": str(tmp_path),
        "SECRET_KEY": "s" * 48,
        "BASE_URL": BASE,
        "STRIPE_SECRET_KEY": stripe_standin.api_key,
        "STRIPE_API_BASE": stripe_standin.url,
        "STRIPE_WEBHOOK_SECRET": "whsec_platform",
        "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_connect",
        "MAIL_API_URL": mail_api.url,
        "MAIL_API_TOKEN": mail_api.token,
        "SMTP_HOST": smtp_sink.host,
        "SMTP_PORT": str(smtp_sink.port),
        "SMTP_TLS": "none",
        "MAIL_FROM": "Reef Bar <tickets@reefbar.example>",
        "ADMIN_USERNAME": "operator",
        "ADMIN_PASSWORD": "a-long-operator-password",
    }


def test_a_complete_production_host_passes_online_and_sends_nothing(
    stripe_dashboard: StripeStandin,
    production_env: dict[str, str],
    mail_api: MailApiStandin,
    smtp_sink: SmtpSink,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE", "MAIL", "SMTP"))}
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "check", "--online"],
        env={**env, **production_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "ok       STRIPE_SECRET_KEY: opens the Stripe account acct_" in out
    assert f"the webhook endpoint {BASE}/webhooks/stripe is enabled and complete" in out
    assert f"the webhook endpoint {BASE}/webhooks/stripe-connect is enabled and complete" in out
    assert "the email API accepts it (server 'POCtix tests')" in out
    assert f"{smtp_sink.host}:{smtp_sink.port} answered (EHLO); nothing was sent." in out
    # The stand-in's key is a test key: said, but not a reason to fail.
    assert "warning  STRIPE_SECRET_KEY: is a test-mode key in production" in out
    assert smtp_sink.messages == []
    assert mail_api.messages == []
    assert [(r.method, r.path) for r in stripe_dashboard.requests] == [
        ("GET", "/v1/account"),
        ("GET", "/v1/webhook_endpoints"),
    ]


def test_a_missing_connect_endpoint_is_a_problem_saying_what_to_add(
    stripe_standin: StripeStandin, production_env: dict[str, str]
) -> None:
    stripe_standin.add_webhook_endpoint(f"{BASE}/webhooks/stripe", ["*"])
    lines, failed = run_check(production_env, online=True)
    assert failed
    (line,) = [line for line in lines if line.startswith("problem")]
    assert line.startswith(
        "problem  STRIPE_CONNECT_WEBHOOK_SECRET: Stripe has no webhook endpoint for "
        f"{BASE}/webhooks/stripe-connect."
    )
    assert '"Connected accounts"' in line
    assert "account.updated" in line


def test_unreachable_or_refusing_providers_are_problems_not_tracebacks(
    stripe_dashboard: StripeStandin,
    production_env: dict[str, str],
    smtp_sink: SmtpSink,
) -> None:
    down, reserved = unreachable_url()
    smtp_sink.stop()
    with reserved:
        env = {**production_env, "STRIPE_API_BASE": down, "MAIL_API_TOKEN": "not-the-token"}
        lines, failed = run_check(env, online=True)
    problems = {line.split(":")[0].split()[1]: line for line in lines if line.startswith("problem")}
    assert failed
    assert set(problems) == {"STRIPE_SECRET_KEY", "MAIL_API_TOKEN", "SMTP_HOST"}
    assert "Stripe did not answer (APIConnectionError)" in problems["STRIPE_SECRET_KEY"]
    assert "was refused by" in problems["MAIL_API_TOKEN"]
    assert "not-the-token" not in "\n".join(lines)
    assert "failed at connect" in problems["SMTP_HOST"]


def test_a_revoked_stripe_key_is_named_without_printing_it(
    stripe_dashboard: StripeStandin, production_env: dict[str, str]
) -> None:
    key = "sk_test_revoked_0123456789"
    lines, failed = run_check({**production_env, "STRIPE_SECRET_KEY": key}, online=True)
    assert failed
    (line,) = [line for line in lines if line.startswith("problem")]
    assert line.startswith("problem  STRIPE_SECRET_KEY: was refused by Stripe")
    assert key not in line
