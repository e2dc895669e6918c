"""The stand-in's Litestar app: `/v1/…` (the API), hosted pages, and `/_standin/…` controls.

The API is one catch-all route handing the raw request to `api.handle`, which does its own
routing so unknown URLs get Stripe's error rather than Litestar's. The lifespan starts and stops
the webhook worker on the server's own event loop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from litestar import Litestar, Request, Response, route
from litestar.datastructures import State

from tests.stripe_standin import api, control_http, pages
from tests.stripe_standin.wire import StripeError, new_id

if TYPE_CHECKING:
    from tests.stripe_standin.standin import StripeStandin


def _stripe_error(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    assert isinstance(error, StripeError)
    body = json.dumps(error.body(new_id("req"))).encode()
    return Response(body, status_code=error.status, media_type="application/json")


def build_app(standin: StripeStandin) -> Litestar:
    @route("/v1/{path:path}", http_method=["GET", "POST", "DELETE"], status_code=200)
    async def stripe_api(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await api.handle(
            request, standin.store, api_key=standin.api_key, refund_status=standin.refund_status
        )

    @asynccontextmanager
    async def deliver_webhooks(_: Litestar) -> AsyncIterator[None]:
        await standin.webhooks.start()
        try:
            yield
        finally:
            await standin.webhooks.stop()

    return Litestar(
        route_handlers=[stripe_api, *pages.ROUTE_HANDLERS, *control_http.ROUTE_HANDLERS],
        state=State({"standin": standin, "store": standin.store}),
        lifespan=[deliver_webhooks],
        exception_handlers={StripeError: _stripe_error},
        logging_config=None,
        openapi_config=None,
    )
