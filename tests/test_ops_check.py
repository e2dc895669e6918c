"""`poctix check`: each rule over plain Settings, no network, no database."""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path

import pytest

from api.ops import check
from api.ops.check import Finding
from api.ops.check_online import endpoint_findings
from api.payments.webhooks import CONNECT, PLATFORM
from api.settings import Settings

GOOD = Settings(
    environment="production",
    database_url="postgresql://poctix:pw@db/poctix",
    secret_key="k" * 48,
    base_url="https://tickets.example.org",
    host="0.0.0.0",  # noqa: S104
    stripe_secret_key="sk_live_abc",
    stripe_webhook_secret="whsec_platform",
    stripe_connect_webhook_secret="whsec_connect",
    mail_api_url="https://api.postmarkapp.com",
    mail_api_token="postmark-server-token",
    mail_from="Reef Bar <tickets@reefbar.example>",
    admin_username="operator",
    admin_password="a-long-operator-password",
    trusted_proxies=(ipaddress.ip_network("172.16.0.0/12"),),
)


def levels(findings: list[Finding]) -> dict[str, str]:
    """Setting → level of its finding, leaving out the `ok` lines."""
    return {f.setting: f.level for f in findings if f.level != "ok"}


def test_a_complete_production_configuration_has_no_problems_or_warnings() -> None:
    assert levels(check.offline_findings(GOOD)) == {}
    lines, failed = check.report(check.offline_findings(GOOD))
    assert not failed
    assert lines[-1] == "No problems, 0 warning(s)."


@pytest.mark.parametrize(
    ("change", "setting", "level", "advice"),
    [
        ({"secret_key": ""}, "SECRET_KEY", "problem", "secrets.token_urlsafe(48)"),
        ({"secret_key": "short"}, "SECRET_KEY", "problem", "shorter than 32"),
        ({"base_url": "http://tickets.example.org"}, "BASE_URL", "problem", "https://"),
        ({"database_url": None}, "DATABASE_URL", "problem", "DATABASE_URL=postgresql://"),
        ({"stripe_secret_key": "sk_test_abc"}, "STRIPE_SECRET_KEY", "warning", "sk_live_"),
        ({"stripe_secret_key": "pk_live_abc"}, "STRIPE_SECRET_KEY", "problem", "publishable"),
        ({"stripe_webhook_secret": ""}, "STRIPE_WEBHOOK_SECRET", "problem", "/webhooks/stripe"),
        ({"stripe_connect_webhook_secret": "sk_live_x"}, "STRIPE_CONNECT_WEBHOOK_SECRET",
         "problem", "whsec_"),
        ({"mail_api_url": "", "mail_api_token": ""}, "MAIL_API_URL", "problem", "SMTP_HOST"),
        ({"mail_api_token": ""}, "MAIL_API_TOKEN", "problem", "Set MAIL_API_TOKEN"),
        ({"mail_from": "POCtix <tickets@localhost>"}, "MAIL_FROM", "problem", "Set MAIL_FROM"),
        ({"admin_password": "hunter22"}, "ADMIN_PASSWORD", "problem", "longer random"),
        ({"admin_username": ""}, "ADMIN_USERNAME", "problem", "Set ADMIN_USERNAME"),
        ({"trusted_proxies": ()}, "TRUSTED_PROXIES", "warning", "behind a proxy"),
    ],
)  # fmt: skip
def test_each_bad_production_setting_is_named_with_what_to_set(
    change: dict[str, object], setting: str, level: str, advice: str
) -> None:
    findings = check.offline_findings(dataclasses.replace(GOOD, **change))  # type: ignore[arg-type]
    assert levels(findings) == {setting: level}
    (finding,) = [f for f in findings if f.setting == setting]
    assert advice in finding.text
    _, failed = check.report(findings)
    assert failed == (level == "problem")


def test_findings_never_print_the_secrets_they_judge() -> None:
    weak = dataclasses.replace(
        GOOD, secret_key="tooshort-secret", admin_password="hunter22", stripe_secret_key="pk_x"
    )
    lines, _ = check.report(check.offline_findings(weak))
    text = "\n".join(lines)
    secrets = ("tooshort-secret", "hunter22", "pk_x", "whsec_platform", "postmark-server-token")
    for secret in secrets:
        assert secret not in text


def test_development_says_the_secret_key_is_generated_and_only_warns(tmp_path: Path) -> None:
    findings = check.offline_findings(Settings(data_dir=tmp_path))
    (key,) = [f for f in findings if f.setting == "SECRET_KEY"]
    assert key.level == "ok"
    assert "generated" in key.text
    assert {f.level for f in findings} <= {"ok", "warning"}


def test_a_live_stripe_key_outside_production_is_a_warning() -> None:
    dev = dataclasses.replace(GOOD, environment="development")
    assert levels(check.stripe_key(dev)) == {"STRIPE_SECRET_KEY": "warning"}


def test_cloudflare_ranges_alone_count_as_knowing_the_proxy() -> None:
    behind_cloudflare = dataclasses.replace(
        GOOD, trusted_proxies=(), cloudflare_proxies=(ipaddress.ip_network("173.245.48.0/20"),)
    )
    assert "TRUSTED_PROXIES" not in levels(check.offline_findings(behind_cloudflare))


def test_a_loopback_host_is_not_taken_for_being_behind_a_proxy() -> None:
    local = dataclasses.replace(GOOD, trusted_proxies=(), host="127.0.0.1")
    assert check.trusted_proxies(local) == []


def test_a_malformed_setting_is_reported_as_a_problem_instead_of_a_crash() -> None:
    lines, failed = check.run_check({"PORT": "0"})
    assert failed
    assert "PORT=0 is not a TCP port" in lines[0]


def _endpoint(url: str, events: list[str], **extra: object) -> dict[str, object]:
    return {"url": url, "enabled_events": events, "status": "enabled", **extra}


BASE = "https://tickets.example.org"


def test_webhook_endpoints_sending_every_handled_event_pass() -> None:
    endpoints = [
        _endpoint(f"{BASE}/webhooks/stripe", sorted(PLATFORM)),
        _endpoint(f"{BASE}/webhooks/stripe-connect", ["*"], connect=True),
    ]
    assert levels(endpoint_findings(endpoints, BASE)) == {}


def test_a_missing_event_a_disabled_endpoint_and_a_wrong_kind_are_named() -> None:
    platform_events = sorted(set(PLATFORM) - {"charge.refunded"})
    endpoints = [
        _endpoint(f"{BASE}/webhooks/stripe", platform_events, status="disabled"),
        _endpoint(f"{BASE}/webhooks/stripe-connect", sorted(CONNECT), connect=False),
    ]
    platform, connect = endpoint_findings(endpoints, BASE)
    assert platform.level == connect.level == "problem"
    assert "does not send charge.refunded" in platform.text
    assert "is disabled" in platform.text
    assert "Connected accounts" in connect.text


def test_a_missing_connect_endpoint_says_how_to_add_it() -> None:
    endpoints = [_endpoint(f"{BASE}/webhooks/stripe", ["*"])]
    platform, connect = endpoint_findings(endpoints, BASE)
    assert platform.level == "ok"
    assert connect.setting == "STRIPE_CONNECT_WEBHOOK_SECRET"
    assert connect.text.startswith(f"Stripe has no webhook endpoint for {BASE}/webhooks/stripe-")
    assert "account.updated" in connect.text
