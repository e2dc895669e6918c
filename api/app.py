"""The application factory: `create_app(settings)` builds everything, nothing happens at import."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, Reference, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api import formatting
from api.accounts.pages import AccountPages
from api.accounts.security_pages import PasskeySignIn
from api.admin.live import DoorPokes
from api.admin.nav import admin_nav
from api.admin.router import admin_routers
from api.admin.sign_in import SignInPages
from api.checkin.controllers import PairingController, ScannerController
from api.checkout.pages import CheckoutPages
from api.checkout.self_service_pages import SelfServicePages
from api.db.engine import create_engine, session_factory
from api.events.cache import EventCache
from api.events.controllers import DiscoveryFiles
from api.events.pages import EventPages, RenderedPages
from api.health import healthz
from api.i18n import jinja as i18n_jinja
from api.i18n.negotiation import language_middleware
from api.i18n.pages import LanguageSwitch
from api.lan.pages import LocalCAPages
from api.media.controllers import media
from api.organizer_api.controllers import organizer_api_router
from api.organizers.pages import ApplyPages
from api.partners.pages import EmbedPages
from api.passes.pages import PrintablePasses
from api.payments.gateway import StripeGateway, gateway_for
from api.payments.webhooks import stripe_connect_webhook, stripe_webhook
from api.settings import Settings
from api.waiting.pages import WaitingPages
from api.wallet.controllers import WalletApi, WalletPassLinks
from api.web.errors import EXCEPTION_HANDLERS
from api.web.json_body import JsonRequest
from api.web.observability import (
    add_request_id_header,
    init_sentry,
    request_id_middleware,
    scrub_order_links_of,
)
from api.web.origin import api_request_guard
from api.web.pwa import create_pwa_router
from api.web.ratelimit import Tally
from api.web.security import REPORT_PATH, csp_report, security_headers
from api.web.sessions import session_config

TEMPLATES = Path(__file__).parent / "templates"

SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    "deviceToken": SecurityScheme(
        type="http",
        scheme="bearer",
        description="A door phone's device token, from POST /api/v1/scanner/pair.",
    ),
    "operator": SecurityScheme(
        type="http",
        scheme="basic",
        description="The platform operator (ADMIN_USERNAME / ADMIN_PASSWORD).",
    ),
    "organizerKey": SecurityScheme(
        type="http",
        scheme="bearer",
        description="An organizer API key (`ptx_…`), made by an owner on the API keys page.",
    ),
}


async def provide_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.sessions() as session:
        yield session


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_gateway(state: State) -> StripeGateway | None:
    gateway: StripeGateway | None = state.gateway
    return gateway


def _redis(settings: Settings) -> Any:
    """The Redis client for rate-limit counters, when REDIS_URL is set (connects lazily)."""
    if not settings.redis_url:
        return None
    import redis.asyncio

    return redis.asyncio.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)


def create_app(settings: Settings, *, engine: AsyncEngine | None = None) -> Litestar:
    """Build the app for `settings` (which must carry a secret key and a database URL)."""
    if not settings.secret_key:
        raise ValueError(
            "create_app needs settings with a secret key (see Settings.with_secret_key)"
        )
    if not settings.database_url:
        raise ValueError("create_app needs settings.database_url")
    init_sentry(settings.sentry_dsn, environment=settings.environment)
    db_engine = engine or create_engine(settings.database_url)

    sessions = session_factory(db_engine)
    gateway = gateway_for(settings)
    door_pokes = DoorPokes(settings.database_url)
    redis = _redis(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        if settings.environment != "test":
            # Everything built at startup lives as long as the process: keep it out of the
            # collector's full passes, which otherwise stall a request now and then.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if gateway is not None:
                await gateway.aclose()
            await door_pokes.close()
            if redis is not None:
                await redis.aclose()
            if engine is None:
                await db_engine.dispose()

    def configure_templates(jinja: JinjaTemplateEngine) -> None:
        formatting.register(jinja.engine)
        jinja.engine.globals["admin_nav"] = admin_nav
        i18n_jinja.install(jinja.engine)

    app = Litestar(
        route_handlers=[
            healthz,
            csp_report,
            LocalCAPages,
            EventPages,
            DiscoveryFiles,
            CheckoutPages,
            WaitingPages,
            PrintablePasses,
            SelfServicePages,
            AccountPages,
            SignInPages,
            PasskeySignIn,
            *admin_routers(),
            organizer_api_router(),
            media,
            PairingController,
            ScannerController,
            stripe_webhook,
            stripe_connect_webhook,
            ApplyPages,
            EmbedPages,
            LanguageSwitch,
            WalletApi,
            WalletPassLinks,
            create_pwa_router(settings.pwa_dir),
        ],
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "gateway": Provide(provide_gateway, sync_to_thread=False),
        },
        state=State(
            {
                "settings": settings,
                "engine": db_engine,
                "sessions": sessions,
                "gateway": gateway,
                "event_cache": EventCache(sessions),
                "rendered_pages": RenderedPages(),
                "door_pokes": door_pokes,
                "redis": redis,
                "tally": Tally(db_engine),
            }
        ),
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        guards=[api_request_guard],  # /api/*: no cross-site writes, JSON bodies only
        middleware=[
            request_id_middleware,
            language_middleware,
            session_config(settings).middleware,
        ],
        before_send=[add_request_id_header, security_headers(settings)],
        template_config=TemplateConfig(
            directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=configure_templates
        ),
        openapi_config=OpenAPIConfig(
            title="POCtix API",
            version="1",
            description="Ticketing with an offline-first door scanner. JSON and sync API.",
            path="/schema",
            components=Components(security_schemes=SECURITY_SCHEMES),
        ),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.base_url.startswith("https://"),
            cookie_httponly=True,
            cookie_samesite="lax",
            exclude=["/webhooks/", "/api/", REPORT_PATH],
        ),
        # Level 6: nearly level 9's size on our pages at a fraction of the CPU; the zip export is
        # compressed already, and the binary bootstrap is mostly random pass keys.
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=1024,
            gzip_compress_level=6,
            exclude=["/admin/export.zip", "/api/v1/scanner/bootstrap/binary"],
        ),
        logging_config=None,
        debug=False,
        request_max_body_size=2 * 1024 * 1024,
        request_class=JsonRequest,  # refuses JSON nested too deep before decoding it
        signature_types=[Settings],
    )
    # Logs and Sentry cut an order's public id out of every path of this route table.
    scrub_order_links_of(app.routes)
    return app
