"""One exception-handler map: JSON for API clients, an HTML page for people.

A domain error (`api.errors`: NotFound, NotAllowed, Invalid, Refused, Unavailable) is answered
with its status and its sentence, so services never speak HTTP.
A client error keeps Litestar's message (and validation details) so the caller can act on it;
anything unexpected is logged with the request id and answered with a plain 500 that names the
request id and nothing else: no stack trace ever reaches a user.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, SerializationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError

from api.errors import DomainError
from api.i18n import refusals
from api.web.observability import request_id

log = logging.getLogger(__name__)

_API_PREFIXES = ("/api/", "/webhooks/", "/healthz", "/schema")

_TITLES = {
    400: "That request could not be read",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported content type",
    422: "Check the form",
    429: "Too many requests",
    500: "Something went wrong on our side",
    502: "A service we rely on failed",
    503: "Temporarily unavailable",
}


class ErrorBody(msgspec.Struct):
    """What every JSON error answer looks like (`_error_response`)."""

    status_code: int
    detail: str
    """A sentence for a person: what went wrong and, where it helps, what to do."""
    request_id: str
    """The id this request is logged under."""
    extra: dict[str, Any] | list[Any] | None = None
    """Details a program can act on: validation errors (a list), a refused push's code
    (an object)."""


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI declarations of the JSON errors a handler answers with, for its `responses=`."""
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=_TITLES[status], generate_examples=False
        )
        for status in statuses
    }


def wants_json(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith(_API_PREFIXES):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and "*/*" not in accept and bool(accept)


def _error_response(
    request: Request[Any, Any, Any],
    status: int,
    message: str,
    extra: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    rid = request_id(request.scope)
    if wants_json(request):
        # In the request's language when it is a refusal people read (the door phone's API;
        # every other API path is English, api/i18n/negotiation.py).
        body: dict[str, Any] = {"status_code": status, "detail": refusals.translate(message)}
        if extra:
            body["extra"] = extra
        body["request_id"] = rid
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    return Template(
        template_name="error.html",
        context={
            "status": status,
            "title": _TITLES.get(status, "Error"),
            "message": message,
            "request_id": rid,
        },
        status_code=status,
        headers=headers,
        media_type=MediaType.HTML,
    )


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        log.error("server error %s on %s", status, request.url.path, exc_info=exc)
        return _error_response(request, status, _TITLES.get(status, "Server error"))
    message = exc.detail or _TITLES.get(status, "Error")
    if isinstance(exc.__cause__, SerializationException):
        message = f"The request body is not valid JSON: {message}."
    if status == 404 and message == "Not Found":
        message = f"Nothing here at {request.url.path}."
    return _error_response(request, status, message, exc.extra, exc.headers)


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return _error_response(request, exc.status, exc.message)


# SQLSTATE class 22 "data exception" caused by what a client sent: a NUL byte (22021), a value
# out of range (22003), text that is not a number (22P02)... The client can act on it.
_CLIENT_DATA_ERRORS = {"22021", "22P05", "22003", "22P02", "22007", "22008"}


# PostgreSQL cannot be reached for now: SQLSTATE class 08 "connection exception" (08001 also
# when the connect itself failed, see api.db.engine), 57P01-57P03 (shutting down, crashed,
# starting up). A connection lost mid-statement comes with `connection_invalidated`.
_UNAVAILABLE_CODES = {"57P01", "57P02", "57P03"}


def database_unavailable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    unreachable = isinstance(code, str) and (code.startswith("08") or code in _UNAVAILABLE_CODES)
    return exc.connection_invalidated or unreachable


def database_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code in _CLIENT_DATA_ERRORS:
        return _error_response(
            request, 400, "The request contains characters or values that cannot be accepted."
        )
    if database_unavailable(exc):
        # Transient (a restart, a failover): no stack trace in the log for each request.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                    type(exc.orig).__name__)  # fmt: skip
        message = "We cannot reach our database for a moment. Please try again shortly."
        return _error_response(request, 503, message, headers={"Retry-After": "5"})
    return internal_error_handler(request, exc)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    message = (
        "An unexpected error happened. It has been logged under request id "
        f"{request_id(request.scope)}."
    )
    return _error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, message)


EXCEPTION_HANDLERS: Any = {
    HTTPException: http_exception_handler,
    DomainError: domain_error_handler,
    DBAPIError: database_error_handler,
    Exception: internal_error_handler,
}
