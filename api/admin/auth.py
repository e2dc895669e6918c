"""The platform operator: credentials from settings, two ways in.

- A browser signs in at `/admin/sign-in` with a form (rate limited, CSRF-protected) and gets an
  ordinary session, so every dashboard form works with its CSRF token and "Sign out" ends it.
  We chose a sign-in page over a Basic challenge: browsers keep Basic credentials for the whole
  visit, send them with cross-site form posts, and offer no way to sign out.
- Scripts (curl, the operator JSON API) send HTTP Basic on every request.

Credentials are compared in constant time. Failed attempts, by form or by Basic, count per client
address (shared by all workers, like the other limits) and are logged; once an address has used
up its failures, every attempt from it is refused until the window ends, the right password
included, so guessing learns nothing more. The session holds a fingerprint of the credentials,
not a flag, so changing ADMIN_PASSWORD ends every operator session. With no credentials
configured, operator routes answer 401 with a message saying which settings to set, never open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from api.accounts.sessions import cookie_value
from api.settings import Settings
from api.web.ratelimit import allowance, client_ip, refusal

log = logging.getLogger(__name__)

REALM = {"WWW-Authenticate": 'Basic realm="POCtix operator", charset="UTF-8"'}
SESSION_KEY = "operator"
NOT_CONFIGURED = "Operator access is not configured: set ADMIN_USERNAME and ADMIN_PASSWORD."
FAILURES: dict[str, Any] = {"bucket": "operator-failed", "per_window": 10, "window_seconds": 600}
"""Failed operator sign-ins one address may make: 10 in 10 minutes."""


def operator_configured(settings: Settings) -> bool:
    return bool(settings.admin_username and settings.admin_password)


def good_credentials(settings: Settings, user: str, password: str) -> bool:
    if not operator_configured(settings):
        return False
    good_user = secrets.compare_digest(user.encode(), settings.admin_username.encode())
    good_password = secrets.compare_digest(password.encode(), settings.admin_password.encode())
    return good_user and good_password


def session_fingerprint(settings: Settings) -> str:
    """What an operator session stores: changes whenever the credentials or the key change."""
    material = f"{settings.admin_username}\0{settings.admin_password}".encode()
    key = hashlib.sha256(b"poctix operator session v1\0" + settings.secret_key.encode()).digest()
    return hmac.new(key, material, hashlib.sha256).hexdigest()


def operator_session(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the operator's session (found signed in, api/accounts/sessions.py) was made with
    today's credentials."""
    settings: Settings = connection.app.state.settings
    if not operator_configured(settings):
        return False
    value = cookie_value(connection, SESSION_KEY)
    return isinstance(value, str) and hmac.compare_digest(value, session_fingerprint(settings))


def basic_credentials(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, str] | None:
    scheme, _, encoded = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    return user, password


async def operator_credentials_ok(
    connection: ASGIConnection[Any, Any, Any, Any], user: str, password: str, *, via: str
) -> bool:
    """Whether these are the operator's credentials; raises RateLimited (429) for an address
    that has used up its failed attempts."""
    state = connection.app.state
    client = client_ip(connection)
    retry_after = await allowance(state, client=client, count=False, **FAILURES)
    if retry_after is not None:
        log.warning("operator sign-in refused: too many failures", extra={"client": client})
        raise refusal(retry_after)
    if good_credentials(state.settings, user, password):
        return True
    log.warning("operator sign-in failed", extra={"client": client, "via": via})
    retry_after = await allowance(state, client=client, **FAILURES)
    if retry_after is not None:
        raise refusal(retry_after)
    return False


async def operator_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    settings: Settings = connection.app.state.settings
    if not operator_configured(settings):
        raise NotAuthorizedException(detail=NOT_CONFIGURED, headers=REALM)
    given = basic_credentials(connection)
    if given is None or not await operator_credentials_ok(connection, *given, via="basic"):
        raise NotAuthorizedException(detail="Operator sign-in required.", headers=REALM)


# OpenAPI: the operator's HTTP Basic credentials (see SECURITY_SCHEMES in api/app.py).
OPERATOR_SECURITY: list[dict[str, list[str]]] = [{"operator": []}]
