"""Settings: every knob POCtix reads, in one place.

Nothing here runs at import time. `Settings.from_env()` reads the environment once, in the CLI;
tests build `Settings(...)` directly. Each field's docstring is the documentation: `poctix settings`
prints them, and the README table is generated from the same list.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from api.currencies import is_currency


class SettingsError(Exception):
    """A setting is missing or malformed; the message says what to set."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MIN_OPERATOR_PASSWORD = 16
"""Shortest ADMIN_PASSWORD production starts with."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """POCtix configuration. Environment variable = field name in upper case."""

    environment: Literal["development", "production", "test"] = "development"
    """`development` (default), `production` (refuses to start without SECRET_KEY) or `test`."""

    database_url: str | None = None
    """PostgreSQL URL (`postgresql://user:pass@host/db`). Unset: an embedded PostgreSQL is started
    in the data folder."""

    secret_key: str = ""
    """Signs session cookies and encrypts event private keys. Required in production; generated
    once and kept in the data folder in development."""

    base_url: str = "http://127.0.0.1:8000"
    """The public URL of this site, used in emails, Stripe return URLs and pairing links. Unset:
    `http://127.0.0.1:PORT`."""

    data_dir: Path = Path(".data")
    """Folder for the embedded PostgreSQL, the development secret key and uploads."""

    host: str = "127.0.0.1"
    """Interface `poctix run` listens on."""

    port: int = 8000
    """Port `poctix run` listens on."""

    stripe_secret_key: str = ""
    """Stripe secret API key (`sk_live_…`/`sk_test_…`). Unset: paid tiers are shown but not sold."""

    stripe_webhook_secret: str = ""
    """Signing secret of the platform webhook endpoint `/webhooks/stripe` (`whsec_…`)."""

    stripe_connect_webhook_secret: str = ""
    """Signing secret of the Connect webhook endpoint `/webhooks/stripe-connect` (`whsec_…`)."""

    stripe_api_base: str = ""
    """Override of Stripe's API base URL (tests point it at a loopback stand-in)."""

    platform_fees: tuple[tuple[str, int], ...] = ()
    """Platform fee per paid ticket in each currency events may sell in, taken as the Connect
    application fee: comma-separated CODE:AMOUNT pairs in minor units as Stripe counts them
    (`USD:200,EUR:190,JPY:300` is $2.00, €1.90, ¥300). An event's currency is chosen from these
    (and those its organizer's Stripe account settles in). Unset: PLATFORM_CURRENCY at
    PLATFORM_FEE_CENTS."""

    platform_fee_cents: int = 200
    """Used only when PLATFORM_FEES is unset (the one-currency setting of older installs): the
    fee per paid ticket in PLATFORM_CURRENCY's minor units. Setting it with PLATFORM_FEES is
    refused."""

    platform_currency: str = "USD"
    """Used only when PLATFORM_FEES is unset: the one currency events sell in (ISO 4217 code).
    Setting it with PLATFORM_FEES is refused."""

    mail_from: str = "POCtix <tickets@localhost>"
    """From address of every email."""

    mail_api_url: str = ""
    """Base URL of the primary transactional email HTTP API (Postmark-style)."""

    mail_api_token: str = ""
    """Server token of the primary email API."""

    smtp_host: str = ""
    """Fallback SMTP server host. Unset with no API: messages stay in the outbox view."""

    smtp_port: int = 587
    """Fallback SMTP server port."""

    smtp_username: str = ""
    """Fallback SMTP user name."""

    smtp_password: str = ""
    """Fallback SMTP password."""

    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    """Fallback SMTP transport security."""

    sentry_dsn: str = ""
    """Sentry DSN. Unset: Sentry is not initialised."""

    admin_username: str = ""
    """Platform operator user name (sign in at /admin/sign-in, or HTTP Basic from scripts)."""

    admin_password: str = field(default="", repr=False)
    """Platform operator password (at least 16 characters in production): sign in at
    /admin/sign-in, or HTTP Basic from scripts."""

    trusted_proxies: tuple[Network, ...] = ()
    """Comma-separated CIDR ranges of proxies (your Caddy, a load balancer) whose
    `X-Forwarded-For` is believed, read right to left. Such a proxy must set or append the
    client's address there and strip a client's `CF-Connecting-IP`."""

    cloudflare_proxies: tuple[Network, ...] = ()
    """Comma-separated CIDR ranges of Cloudflare: only a hop from these is believed about
    `CF-Connecting-IP`, and they are skipped in `X-Forwarded-For`. Behind Cloudflare, copy the
    IPv4 and IPv6 lists Cloudflare publishes at https://www.cloudflare.com/ips/ (e.g.
    `173.245.48.0/20,…,2400:cb00::/32,…`) and update them when Cloudflare does; unset, the
    header is never believed."""

    redis_url: str = ""
    """Redis for rate-limit counters (`redis://host:6379/0`). Unset: counters live in PostgreSQL;
    either way every worker process shares them."""

    pwa_dir: Path | None = None
    """Folder the progressive web app is served from. Unset: the `pwa/` folder of this
    installation (with `pwa/vendor/` filled by `make vendor`)."""

    log_level: str = "INFO"
    """Log level of the app's structured logs."""

    worker_in_process: bool = True
    """`poctix run` starts the outbox worker with it, as two child processes at lower CPU
    priority (set false when running `poctix worker` apart)."""

    apple_pass_type_id: str = ""
    """Apple Wallet pass type identifier (`pass.com.example.tickets`). With APPLE_TEAM_ID,
    APPLE_PASS_CERT and APPLE_WWDR_CERT set, each pass offers "Add to Apple Wallet"."""

    apple_team_id: str = ""
    """Apple Developer team identifier that owns the pass type id (10 characters)."""

    apple_pass_cert: Path | None = None
    """Path to the pass type id's signing certificate (PEM)."""

    apple_pass_key: Path | None = None
    """Path to the signing certificate's private key (PEM). Unset: read from the
    APPLE_PASS_CERT file."""

    apple_pass_key_password: str = field(default="", repr=False)
    """Password of the encrypted private key, if it is encrypted."""

    apple_wwdr_cert: Path | None = None
    """Path to Apple's WWDR intermediate certificate (PEM) the signing certificate was issued
    by; it is included in every pass signature."""

    google_wallet_issuer_id: str = ""
    """Google Wallet issuer id. With GOOGLE_WALLET_SERVICE_ACCOUNT set, each pass offers "Save
    to Google Wallet"."""

    google_wallet_service_account: Path | None = None
    """Path to the Google Cloud service account's JSON key file that signs "Save to Google
    Wallet" links (the account must be a user of the issuer)."""

    _env_names: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def fees(self) -> dict[str, int]:
        """The platform fee per paid ticket by currency (PLATFORM_FEES, else the old pair)."""
        if self.platform_fees:
            return dict(self.platform_fees)
        return {self.platform_currency: self.platform_fee_cents}

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key)

    @property
    def apple_wallet_enabled(self) -> bool:
        return bool(
            self.apple_pass_type_id
            and self.apple_team_id
            and self.apple_pass_cert
            and self.apple_wwdr_cert
        )

    @property
    def google_wallet_enabled(self) -> bool:
        return bool(self.google_wallet_issuer_id and self.google_wallet_service_account)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read every field from the environment, converting and checking types."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name.startswith("_"):
                continue
            raw = env.get(f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, f.type, raw)
        if "platform_fees" in values:
            both = [n.upper() for n in ("platform_fee_cents", "platform_currency") if n in values]
            if both:
                raise SettingsError(
                    f"PLATFORM_FEES replaces {' and '.join(both)}: put the fee in PLATFORM_FEES "
                    "(e.g. PLATFORM_FEES=USD:200,EUR:190) and remove the old setting."
                )
        if "base_url" not in values and "port" in values:
            # Links name the address `poctix run` serves on: `PORT=8123 make run` must not
            # print (or email) links to :8000, in any process or command of that server.
            values["base_url"] = f"http://127.0.0.1:{values['port']}"
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse values that would fail later in a less clear way."""
        if self.environment not in ("development", "production", "test"):
            raise SettingsError(
                f"ENVIRONMENT={self.environment!r} is not one of development, production, test."
            )
        if self.platform_fee_cents < 0:
            raise SettingsError("PLATFORM_FEE_CENTS must be 0 or more (minor units, e.g. 200).")
        if not is_currency(self.platform_currency):
            raise SettingsError(
                f"PLATFORM_CURRENCY={self.platform_currency!r} is not a currency code such as USD."
            )  # fmt: skip
        _check_fees(self.platform_fees)
        if not 0 < self.port < 65536:
            raise SettingsError(f"PORT={self.port} is not a TCP port (1-65535).")
        if self.database_url and not self.database_url.startswith(("postgresql", "postgres://")):
            raise SettingsError(
                "DATABASE_URL must be a PostgreSQL URL such as postgresql://user:pass@host/db."
            )
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError("REDIS_URL must look like redis://host:6379/0 (or rediss://).")
        if self.smtp_tls not in ("starttls", "tls", "none"):
            raise SettingsError("SMTP_TLS must be one of starttls, tls, none.")
        _all_or_nothing(
            "Operator access",
            ADMIN_USERNAME=self.admin_username,
            ADMIN_PASSWORD=self.admin_password,
        )
        if self.is_production and 0 < len(self.admin_password) < MIN_OPERATOR_PASSWORD:
            raise SettingsError(
                f"ADMIN_PASSWORD must be at least {MIN_OPERATOR_PASSWORD} characters in "
                "production (it guards every organizer's money), e.g. the output of: "
                'python -c "import secrets; print(secrets.token_urlsafe(24))"'
            )
        _all_or_nothing(
            "Apple Wallet",
            APPLE_PASS_TYPE_ID=self.apple_pass_type_id,
            APPLE_TEAM_ID=self.apple_team_id,
            APPLE_PASS_CERT=self.apple_pass_cert,
            APPLE_WWDR_CERT=self.apple_wwdr_cert,
        )
        _all_or_nothing(
            "Google Wallet",
            GOOGLE_WALLET_ISSUER_ID=self.google_wallet_issuer_id,
            GOOGLE_WALLET_SERVICE_ACCOUNT=self.google_wallet_service_account,
        )

    def with_secret_key(self) -> Settings:
        """Return settings that carry a secret key, generating a development one if needed.

        Production never generates one: a key that changes on restart would sign everyone out
        and make every event's private key unreadable.
        """
        if self.secret_key:
            if len(self.secret_key) < 32:
                raise SettingsError("SECRET_KEY must be at least 32 characters long.")
            return self
        if self.is_production:
            raise SettingsError(
                "SECRET_KEY is not set. In production set SECRET_KEY to a random string of at "
                'least 32 characters, e.g. the output of: python -c "import secrets; '
                'print(secrets.token_urlsafe(48))"'
            )
        path = self.data_dir / "secret_key"
        if path.exists():
            key = path.read_text().strip()
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key = secrets.token_urlsafe(48)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(key + "\n")
        return dataclasses.replace(self, secret_key=key)


def _all_or_nothing(feature: str, **values: object) -> None:
    """A half-configured feature would silently stay off: name what is missing instead."""
    missing = [name for name, value in values.items() if not value]
    if missing and len(missing) < len(values):
        raise SettingsError(f"{feature} needs {', '.join(missing)} as well (or none of them).")


def _check_fees(fees: tuple[tuple[str, int], ...]) -> None:
    seen: set[str] = set()
    for code, amount in fees:
        if not is_currency(code):
            raise SettingsError(
                f"PLATFORM_FEES: {code!r} is not an ISO 4217 currency code such as USD or EUR."
            )
        if code in seen:
            raise SettingsError(f"PLATFORM_FEES names {code} twice; give each currency once.")
        seen.add(code)
        if amount < 0:
            raise SettingsError(f"PLATFORM_FEES: the fee in {code} must be 0 or more.")


def parse_fees(raw: str) -> tuple[tuple[str, int], ...]:
    """`USD:200, eur:190` as (("USD", 200), ("EUR", 190)); SettingsError saying what is wrong."""
    pairs: list[tuple[str, int]] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        code, colon, amount = part.partition(":")
        code, amount = code.strip().upper(), amount.strip()
        if not colon or not amount.lstrip("-").isdigit():
            raise SettingsError(
                f"PLATFORM_FEES: {part!r} is not CODE:AMOUNT (a currency code and a whole number "
                "of minor units, e.g. USD:200,EUR:190,JPY:300)."
            )
        pairs.append((code, int(amount)))
    if not pairs:
        raise SettingsError("PLATFORM_FEES is empty: give CODE:AMOUNT pairs, e.g. USD:200.")
    _check_fees(tuple(pairs))
    return tuple(pairs)


def _convert(name: str, annotation: object, raw: str) -> Any:
    env_name = name.upper()
    kind = str(annotation)
    if name == "platform_fees":
        return parse_fees(raw)
    try:
        if kind == "int":
            return int(raw)
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind in ("Path", "Path | None"):
            return Path(raw)
        if kind.startswith("tuple[Network"):
            return tuple(
                ipaddress.ip_network(part.strip(), strict=False)
                for part in raw.split(",")
                if part.strip()
            )
    except ValueError as exc:
        raise SettingsError(f"{env_name}={raw!r} is not a valid {kind}.") from exc
    return raw


def describe() -> list[tuple[str, str, str]]:
    """(ENV_NAME, default, description) for every setting, for `poctix settings` and the README."""
    docs = _field_docs()
    rows = []
    for f in dataclasses.fields(Settings):
        if f.name.startswith("_"):
            continue
        default = f.default if f.default not in (dataclasses.MISSING, None, "", ()) else ""
        rows.append((f.name.upper(), str(default), docs.get(f.name, "")))
    return rows


def _field_docs() -> dict[str, str]:
    """Field docstrings, read from this module's source (they are not kept at runtime)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(Settings))
    cls = tree.body[0]
    assert isinstance(cls, ast.ClassDef)
    docs: dict[str, str] = {}
    last: str | None = None
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            last = node.target.id
        elif (
            last
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            docs[last] = " ".join(node.value.value.split())
            last = None
        else:
            last = None
    return docs
