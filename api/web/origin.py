"""Cross-site requests to the JSON API are refused, and its bodies must be JSON.

`/api/*` carries no CSRF token: its callers are scripts (the operator's HTTP Basic) and the
scanner (a bearer token in a header, which a foreign page cannot set). But a browser that holds
the operator's Basic credentials sends them with any cross-site form, and a form can post
`text/plain` that reads as JSON: issue 14 refunded an order that way. So every request that
changes something under `/api/` (any method but GET, HEAD, OPTIONS) passes one guard, here:

1. an `Origin` header that is neither BASE_URL's origin nor this request's own host (a LAN
   address, a second name), or `Origin: null`, is a 403; so is `Sec-Fetch-Site: cross-site`.
   Scripts and old browsers send neither and pass: the check only ever uses what a browser
   says about where a request came from.
2. the body must be `application/json`, or `multipart/form-data` for the handlers declared to
   take a file upload (their `data` is a multipart Body); anything else is a 415. A request
   with no body at all may leave out `Content-Type` (`POST …/resend` from curl). A cross-site
   form can send only urlencoded, multipart or text/plain, and JSON needs a CORS preflight,
   which this site never grants.

Webhooks (`/webhooks/`) are outside `/api/`: Stripe posts server to server with no Origin, and
each delivery's signature is checked instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON = "application/json"
MULTIPART = "multipart/form-data"

CROSS_SITE = (
    "Cross-site requests to the API are refused: call it from this site, or from a script "
    "(which sends no Origin header)."
)


class UnsupportedMediaType(HTTPException):
    status_code = 415


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def foreign_origin(origin: str, *, host: str, base_url: str) -> bool:
    """True unless `origin` is BASE_URL's origin or names the host the request was sent to."""
    if origin.lower() == _origin_of(base_url):
        return False
    parts = urlsplit(origin)
    own = parts.scheme in ("http", "https") and bool(parts.netloc)
    return not (own and parts.netloc.lower() == host.strip().lower())


def accepted_types(handler: BaseRouteHandler) -> tuple[str, ...]:
    """What a handler's body may be: multipart for a declared upload, JSON otherwise."""
    data = handler.parsed_fn_signature.parameters.get("data")
    kwarg = getattr(data, "kwarg_definition", None)
    if getattr(kwarg, "media_type", None) == RequestEncodingType.MULTI_PART:
        return (MULTIPART,)
    return (JSON,)


def _has_body(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    length = connection.headers.get("content-length", "").strip()
    return "transfer-encoding" in connection.headers or (length not in ("", "0"))


async def api_request_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The app-wide guard: a no-op outside `/api/` and for GET, HEAD and OPTIONS."""
    if not connection.url.path.startswith(API_PREFIX):
        return
    if connection.scope.get("method", "GET") in SAFE_METHODS:
        return
    headers = connection.headers
    origin = headers.get("origin")
    base_url: str = connection.app.state.settings.base_url
    if origin is not None and foreign_origin(
        origin, host=headers.get("host", ""), base_url=base_url
    ):
        raise PermissionDeniedException(detail=CROSS_SITE)
    if headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        raise PermissionDeniedException(detail=CROSS_SITE)
    declared = headers.get("content-type")
    if declared is None and not _has_body(connection):
        return
    media = (declared or "").split(";", 1)[0].strip().lower()
    accepted = accepted_types(handler)
    if media not in accepted:
        raise UnsupportedMediaType(
            detail=f"This endpoint takes Content-Type: {' or '.join(accepted)}"
            f" (the request said {media or 'nothing'})."
        )
