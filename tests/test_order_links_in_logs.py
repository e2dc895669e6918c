"""An order's public id opens its passes, so no log line and no Sentry event names one: every
route of the app that carries it is walked, and what was logged and reported is searched for
the id (issue 14 item 5)."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import secrets
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.passes import services as pass_services
from api.passes.tokens import pass_key_text
from api.settings import Settings
from api.web.observability import (
    ORDER_ID_PARAMETERS,
    JsonFormatter,
    order_link_prefixes,
    scrub,
    scrub_order_links_of,
)
from tests import factories
from tests.sentry_standin import SentryStandin

OPERATOR = ("operator", "operator-password-for-the-walk")
# Every route known to carry an order's public id today; the walk finds these and any new one.
KNOWN = {
    "/passes/{public_id:str}",
    "/passes/{public_id:str}/{pass_id:str}/apple.pkpass",
    "/passes/{public_id:str}/{pass_id:str}/google",
    "/api/v1/orders/{public_id:str}/passes",
    "/admin/orders/{public_id:str}",
    "/admin/orders/{public_id:str}/refund",
    "/admin/orders/{public_id:str}/resend",
    "/api/v1/admin/orders/{public_id:str}/refund",
    "/api/v1/admin/orders/{public_id:str}/resend",
    "/api/v1/orders/{order_id:str}",  # the organizer API: its id, or the public id
    "/api/v1/orders/{order_id:str}/refund",
    "/api/v1/orders/{order_id:str}/resend",
}


def _settings() -> Settings:
    return Settings(environment="test", database_url="postgresql://nobody@127.0.0.1:9/none",
                    secret_key="s" * 48, base_url="http://testserver.local")  # fmt: skip


def order_routes(app: Litestar) -> list[HTTPRoute]:
    """The routes whose path takes an order's public id."""
    return [
        route
        for route in app.routes
        if isinstance(route, HTTPRoute) and ORDER_ID_PARAMETERS & set(route.path_parameters)
    ]


def concrete(path: str, public_id: str, pass_id: str = "PASSKEYTEXT") -> str:  # noqa: S107
    """The route's path with its parameters filled in."""
    for name, value in {"public_id": public_id, "order_id": public_id, "pass_id": pass_id}.items():
        path = path.replace(f"{{{name}:str}}", value)
    assert "{" not in path, f"the walk does not know a parameter of {path}"
    return path


def test_the_walk_finds_every_route_that_takes_an_order_id() -> None:
    app = create_app(_settings())
    assert {route.path for route in order_routes(app)} >= KNOWN
    # A parameter that names an order by another name would slip past the scrubber: it must be
    # added to ORDER_ID_PARAMETERS (or renamed) first.
    for route in app.routes:
        for name in route.path_parameters:
            if "order" in name or "public" in name:
                assert name in ORDER_ID_PARAMETERS, f"{route.path}: is {name} an order's id?"


def test_scrub_cuts_the_order_id_out_of_every_path_that_carries_one() -> None:
    app = create_app(_settings())
    for route in order_routes(app):
        public_id = secrets.token_urlsafe(16)
        path = concrete(route.path, public_id)
        for text in (
            f"GET {path} 200",
            f'{{"path": "{path}"}}',
            f"https://tickets.example{path}?utm=x",
            f"failed at {path}/",
        ):
            scrubbed = scrub(text)
            assert public_id not in scrubbed, f"{route.path}: {scrubbed}"
            assert "[order]" in scrubbed


def test_a_route_added_tomorrow_with_an_order_id_is_scrubbed_without_being_listed() -> None:
    tomorrow = "/partners/{site:str}/tickets/{public_id:str}/transfer"
    public_id = secrets.token_urlsafe(16)
    path = f"/partners/surf-shop/tickets/{public_id}/transfer"
    assert order_link_prefixes(tomorrow) == [r"/partners/[^/]+/tickets/"]
    scrub_order_links_of([SimpleNamespace(path=tomorrow)])
    assert scrub(f"POST {path}") == "POST /partners/surf-shop/tickets/[order]/transfer"


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Every log line of the process at DEBUG, formatted as the app writes them."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_requests_to_every_route_with_an_order_id_log_no_order_id(
    db: AsyncSession, settings: Settings, logged: io.StringIO
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event, price_minor=0)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=1)
    [item] = await pass_services.issue_passes(
        db, order=order, tier_id=tier.id, count=1, secret_key=settings.secret_key
    )
    await db.commit()
    public_id, pass_id = order.public_id, pass_key_text(item.pass_key)
    username, password = OPERATOR
    app = create_app(
        dataclasses.replace(settings, admin_username=username, admin_password=password)
    )
    walked: list[str] = []
    async with AsyncTestClient(app=app) as client:
        for route in order_routes(app):
            path = concrete(route.path, public_id, pass_id)
            for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
                logged.truncate(0)
                logged.seek(0)
                body: dict[str, Any] = {"json": {}} if path.startswith("/api/") else {}
                response = await client.request(method, path, auth=OPERATOR, **body)
                lines = logged.getvalue()
                assert f'"path": "{concrete(route.path, "[order]", pass_id)}"' in lines, (
                    f"{method} {route.path} ({response.status_code}) wrote no access line"
                )
                assert public_id not in lines, f"{method} {route.path} logged the order id"
                walked.append(f"{method} {route.path}")
    assert len(walked) >= len(KNOWN)


def test_errors_on_every_route_with_an_order_id_reach_sentry_without_it(tmp_path: Path) -> None:
    """Every order route fails (opening a database session raises) and is reported to a
    stand-in Sentry. In a process of its own: Sentry is process-wide, and initialising it here
    would follow every later test."""
    public_id = secrets.token_urlsafe(16)
    with SentryStandin() as sentry:
        script = textwrap.dedent(
            f"""
            import sentry_sdk
            from litestar.testing import TestClient
            from api.app import create_app
            from api.settings import Settings
            from tests.test_order_links_in_logs import OPERATOR, concrete, order_routes

            settings = Settings(
                environment="test", database_url="postgresql://nobody@127.0.0.1:9/none",
                secret_key="s" * 48, base_url="http://testserver.local",
                sentry_dsn={sentry.dsn!r}, data_dir={str(tmp_path)!r},
                admin_username=OPERATOR[0], admin_password=OPERATOR[1],
            )
            app = create_app(settings)

            def broken():
                raise RuntimeError("the database went away")

            class BrokenTally:  # and every rate-limit count (api.web.ratelimit.Tally)
                async def count(self, window):
                    broken()

                async def seen(self, window):
                    broken()

            app.state.sessions = broken  # every handler that opens a session fails
            app.state.tally = BrokenTally()
            with TestClient(app=app) as client:
                for route in order_routes(app):
                    path = concrete(route.path, {public_id!r})
                    for method in sorted(route.methods - {{"OPTIONS", "HEAD"}}):
                        client.request(method, path, auth=OPERATOR)
            sentry_sdk.flush(timeout=10)
            """
        )
        events = sentry.events_of_a_process(script)
    assert events, "no error was reported to Sentry"
    text = "\n".join(events)
    assert public_id not in text
    # Each route's failure was reported, its path cut; the dashboard's form POSTs stop at the
    # CSRF check (403), and the organizer API at its key check (401), before any handler runs,
    # so they have no failure to report.
    reported = set(re.findall(r"unhandled error on [A-Z]+ (/[^ \"\\\\]*)", text))
    forms = {"/admin/orders/{public_id:str}/refund", "/admin/orders/{public_id:str}/resend"}
    keyed = {path for path in KNOWN if "{order_id:str}" in path}
    assert {concrete(path, "[order]") for path in KNOWN - forms - keyed} <= reported
