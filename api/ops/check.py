"""`poctix check`: what a host's configuration still lacks before the first sale.

Each check is a small pure function from `Settings` to findings, so every rule is tested without
I/O; `--online` adds the checks that ask Stripe and the mail provider (`api/ops/check_online.py`).
A finding names the setting and says what to set, never its value: the output may be pasted
into a ticket or a chat, and secrets must not travel with it.

Levels: a `problem` stops the command with a non-zero status (the site would not sell, mail or
sign in correctly); a `warning` is printed but exits 0 (legitimate in some setups, such as a
test-mode Stripe key on a staging host); `ok` lines say what was checked and found fine.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from api.settings import Settings, SettingsError

Level = Literal["problem", "warning", "ok"]
MIN_SECRET_KEY = 32
MIN_ADMIN_PASSWORD = 16
KEY_EXAMPLE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
STRIPE_KEY_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_")


@dataclass(frozen=True)
class Finding:
    level: Level
    setting: str
    text: str
    """What is wrong (or fine) and what to do about it."""


Check = Callable[[Settings], list[Finding]]


def single(level: Level, setting: str, text: str) -> list[Finding]:
    return [Finding(level, setting, text)]


def _prod_or_warn(settings: Settings) -> Level:
    """A gap that breaks a live site but is normal while developing."""
    return "problem" if settings.is_production else "warning"


def secret_key(settings: Settings) -> list[Finding]:
    if not settings.secret_key:
        if settings.is_production:
            return single(
                "problem",
                "SECRET_KEY",
                "is not set. Set SECRET_KEY to a random "
                f"string of at least {MIN_SECRET_KEY} characters, e.g. `{KEY_EXAMPLE}`"
                ", and keep it: it encrypts every event's pass-signing key.",
            )
        kept = settings.data_dir / "secret_key"
        return single(
            "ok",
            "SECRET_KEY",
            f"is generated once and kept in {kept} "
            "(development only; production needs SECRET_KEY set).",
        )
    if len(settings.secret_key) < MIN_SECRET_KEY:
        return single(
            "problem",
            "SECRET_KEY",
            f"is shorter than {MIN_SECRET_KEY} characters. "
            f"Set a longer random one, e.g. `{KEY_EXAMPLE}` (on an installation that "
            "already has events, passes must then be issued again).",
        )
    return [Finding("ok", "SECRET_KEY", "is set.")]


def base_url(settings: Settings) -> list[Finding]:
    if settings.is_production and urlsplit(settings.base_url).scheme != "https":
        return single(
            "problem",
            "BASE_URL",
            f"is {settings.base_url!r}, not HTTPS. Set "
            "BASE_URL to the site's public https:// address: phones only open the "
            "camera and install the scanner over HTTPS, and cookies are Secure.",
        )
    return [Finding("ok", "BASE_URL", f"is {settings.base_url}.")]


def database_url(settings: Settings) -> list[Finding]:
    if settings.is_production and not settings.database_url:
        return single(
            "problem",
            "DATABASE_URL",
            "is not set: the embedded PostgreSQL is for "
            "development. Set DATABASE_URL=postgresql://user:password@host/db.",
        )
    return []


def stripe_key(settings: Settings) -> list[Finding]:
    key = settings.stripe_secret_key
    if not key:
        # Free events need no Stripe: only worth a word where paid tickets are expected.
        if not settings.is_production:
            return []
        return single(
            "warning",
            "STRIPE_SECRET_KEY",
            "is not set: paid tiers are shown but not sold. Set it to the platform's secret "
            "key (Dashboard → Developers → API keys).",
        )
    if not key.startswith(STRIPE_KEY_PREFIXES):
        return single(
            "problem",
            "STRIPE_SECRET_KEY",
            "is not a Stripe secret key (it must "
            "start with sk_live_, sk_test_, rk_live_ or rk_test_; a pk_… key is the "
            "publishable one). Copy the secret key from Dashboard → Developers → API "
            "keys.",
        )
    live = "_live_" in key[:8]
    if settings.is_production and not live:
        return single(
            "warning",
            "STRIPE_SECRET_KEY",
            "is a test-mode key in production: "
            "buyers cannot really pay. Set the sk_live_… key before the first sale.",
        )
    if not settings.is_production and live:
        return single(
            "warning",
            "STRIPE_SECRET_KEY",
            "is a live key outside production: real "
            "cards will be charged. Use an sk_test_… key, or set "
            "ENVIRONMENT=production.",
        )
    return [Finding("ok", "STRIPE_SECRET_KEY", f"is a {'live' if live else 'test'}-mode key.")]


def webhook_secrets(settings: Settings) -> list[Finding]:
    if not settings.stripe_secret_key:
        return []
    findings = []
    platform = (
        "STRIPE_WEBHOOK_SECRET",
        settings.stripe_webhook_secret,
        "/webhooks/stripe",
        "payments are refused and orders never complete",
    )
    connect = (
        "STRIPE_CONNECT_WEBHOOK_SECRET",
        settings.stripe_connect_webhook_secret,
        "/webhooks/stripe-connect",
        "onboarded organizers are never enabled to sell",
    )
    for name, value, path, harm in (platform, connect):
        where = f"the signing secret (whsec_…) of the webhook endpoint {settings.base_url}{path}"
        if not value:
            findings.append(
                Finding(
                    "problem",
                    name,
                    f"is not set, so Stripe's events are refused: {harm}. Set it to {where}.",
                )
            )
        elif not value.startswith("whsec_"):
            findings.append(
                Finding(
                    "problem",
                    name,
                    f"does not start with whsec_. Set it to {where} (not an API key).",
                )
            )
        else:
            findings.append(Finding("ok", name, "is set."))
    return findings


def mail_provider(settings: Settings) -> list[Finding]:
    api_url, token = settings.mail_api_url, settings.mail_api_token
    if bool(api_url) != bool(token):
        missing = "MAIL_API_TOKEN" if api_url else "MAIL_API_URL"
        return single(
            "problem",
            missing,
            "is not set while its partner is, so the email API "
            f"is not used. Set {missing} too (or neither).",
        )
    if api_url or settings.smtp_host:
        used = " and ".join(
            name for name, on in (("the email API", api_url), ("SMTP", settings.smtp_host)) if on
        )
        return [Finding("ok", "MAIL_API_URL" if api_url else "SMTP_HOST", f"mail goes by {used}.")]
    return single(
        _prod_or_warn(settings),
        "MAIL_API_URL",
        "no mail provider: tickets and "
        "sign-in links stay in `poctix outbox`. Set MAIL_API_URL and MAIL_API_TOKEN "
        "(a Postmark-style API), or SMTP_HOST (with SMTP_USERNAME/SMTP_PASSWORD).",
    )


def mail_from(settings: Settings) -> list[Finding]:
    if settings.mail_from.rstrip(">").endswith("@localhost"):
        return single(
            _prod_or_warn(settings),
            "MAIL_FROM",
            f"is {settings.mail_from!r}; mail "
            "from @localhost is rejected or lands in spam. Set MAIL_FROM to an "
            "address of a domain your provider may send for, e.g. 'Tickets "
            "<tickets@example.org>'.",
        )
    return []


def operator(settings: Settings) -> list[Finding]:
    user, password = settings.admin_username, settings.admin_password
    if not user and not password:
        if not settings.is_production:
            return []
        return single(
            "warning",
            "ADMIN_PASSWORD",
            "and ADMIN_USERNAME are not set: no platform operator can sign in (organizer "
            f"onboarding needs one). Set both, the password {MIN_ADMIN_PASSWORD}+ random "
            "characters.",
        )
    if not user or not password:
        missing = "ADMIN_USERNAME" if not user else "ADMIN_PASSWORD"
        return single(
            "problem",
            missing,
            f"is not set while its partner is, so operator sign-in is off. Set {missing} too.",
        )
    if len(password) < MIN_ADMIN_PASSWORD:
        return single(
            _prod_or_warn(settings),
            "ADMIN_PASSWORD",
            f"is shorter than "
            f"{MIN_ADMIN_PASSWORD} characters, and it guards every organizer's data. "
            f"Set a longer random one, e.g. `{KEY_EXAMPLE}`.",
        )
    return [Finding("ok", "ADMIN_PASSWORD", "is set.")]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trusted_proxies(settings: Settings) -> list[Finding]:
    # POCtix serves plain HTTP: an https BASE_URL means something else terminates TLS. Listening
    # beyond loopback, that is most likely a proxy on another address (a container network).
    behind = urlsplit(settings.base_url).scheme == "https" and not _loopback(settings.host)
    proxies = settings.trusted_proxies or settings.cloudflare_proxies
    if settings.is_production and behind and not proxies:
        return single(
            "warning",
            "TRUSTED_PROXIES",
            f"is not set, but with an HTTPS BASE_URL "
            f"and HOST={settings.host} this host is likely behind a proxy: every "
            "buyer would share the proxy's rate limits. Set TRUSTED_PROXIES to the "
            "proxy's address range (e.g. 172.16.0.0/12 for Docker networks).",
        )
    return []


CHECKS: tuple[Check, ...] = (
    secret_key,
    base_url,
    database_url,
    stripe_key,
    webhook_secrets,
    mail_provider,
    mail_from,
    operator,
    trusted_proxies,
)


def offline_findings(settings: Settings) -> list[Finding]:
    return [finding for check in CHECKS for finding in check(settings)]


def load_settings(environ: dict[str, str] | None = None) -> Settings | Finding:
    """The settings a host would start with, or the SettingsError as a problem to print."""
    try:
        return Settings.from_env(environ)
    except SettingsError as exc:
        return Finding("problem", "settings", str(exc))


def report(findings: Iterable[Finding]) -> tuple[list[str], bool]:
    """Printable lines (problems first) and whether any problem was found."""
    order = {"problem": 0, "warning": 1, "ok": 2}
    ordered = sorted(findings, key=lambda finding: order[finding.level])
    lines = [f"{f.level:<8} {f.setting}: {f.text}" for f in ordered]
    problems = sum(f.level == "problem" for f in ordered)
    warnings = sum(f.level == "warning" for f in ordered)
    if problems:
        lines.append(f"{problems} problem(s), {warnings} warning(s): fix the problems first.")
    else:
        lines.append(f"No problems, {warnings} warning(s).")
    return lines, problems > 0


def run_check(
    environ: dict[str, str] | None = None, *, online: bool = False
) -> tuple[list[str], bool]:
    """What `poctix check` prints, and whether it found a problem."""
    loaded = load_settings(environ)
    if isinstance(loaded, Finding):
        return report([loaded])
    findings = offline_findings(loaded)
    if online:
        import asyncio

        from api.ops.check_online import online_findings

        findings += asyncio.run(online_findings(loaded))
    return report(findings)
