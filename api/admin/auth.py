"""HTTP Basic for the platform operator, with credentials from settings.

Compared in constant time; with no credentials configured, operator routes answer 401 with a
message saying which settings to set, never open.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from api.settings import Settings

REALM = {"WWW-Authenticate": 'Basic realm="POCtix operator", charset="UTF-8"'}


def operator_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    settings: Settings = connection.app.state.settings
    if not settings.admin_username or not settings.admin_password:
        raise NotAuthorizedException(
            detail="Operator access is not configured: set ADMIN_USERNAME and ADMIN_PASSWORD.",
            headers=REALM,
        )
    scheme, _, encoded = connection.headers.get("authorization", "").partition(" ")
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = password = ""
    good_user = secrets.compare_digest(user.encode(), settings.admin_username.encode())
    good_password = secrets.compare_digest(password.encode(), settings.admin_password.encode())
    if scheme.lower() != "basic" or not (good_user and good_password):
        raise NotAuthorizedException(detail="Operator sign-in required.", headers=REALM)


# OpenAPI: the operator's HTTP Basic credentials (see SECURITY_SCHEMES in api/app.py).
OPERATOR_SECURITY: list[dict[str, list[str]]] = [{"operator": []}]
