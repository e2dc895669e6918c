"""Signed, encrypted cookie sessions (AES-GCM, Litestar's client-side backend), hardened.

A tampered or garbage session cookie means "signed out", never a 500: Litestar's backend only
expects a wrong tag or bad base64, while a forged cookie can also carry broken JSON or a missing
expiry. The key is derived from SECRET_KEY; the cookie is HttpOnly, SameSite=Lax, and Secure
whenever the site is served over HTTPS.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig

from api.crypto import derive_key
from api.settings import Settings

log = logging.getLogger(__name__)


class SafeCookieBackend(ClientSideSessionBackend):
    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        try:
            return await super().load_from_connection(connection)
        except Exception:
            log.info("ignored an unreadable session cookie")
            return {}


class SafeCookieConfig(CookieBackendConfig):
    _backend_class = SafeCookieBackend


def session_config(settings: Settings) -> CookieBackendConfig:
    return SafeCookieConfig(
        secret=derive_key(settings.secret_key, b"poctix session cookie v1"),
        key="poctix_session",
        max_age=14 * 24 * 3600,
        secure=settings.base_url.startswith("https://"),
        httponly=True,
        samesite="lax",
        exclude=["/api/", "/webhooks/", "/pwa/", "/sw.js", "/healthz", "/schema"],
    )
