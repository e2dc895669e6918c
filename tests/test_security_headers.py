"""Security headers on every response; CSP reports are logged; HSTS only over HTTPS."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import Settings

Client = AsyncTestClient[Litestar]


def directives(header: str) -> dict[str, str]:
    pairs = (part.strip().partition(" ") for part in header.split(";"))
    return {name: value for name, _, value in pairs}


async def test_pages_forbid_inline_scripts_and_framing_the_event_pages_included(
    client: Client,
) -> None:
    home = await client.get("/")
    csp = directives(home.headers["content-security-policy"])
    assert csp["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"].startswith("'self' https://checkout.stripe.com")
    assert home.headers["x-content-type-options"] == "nosniff"
    assert home.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in home.headers
    missing = await client.get("/e/no-such-event")
    assert missing.status_code == 404
    assert directives(missing.headers["content-security-policy"])["frame-ancestors"] == "'none'"
    api = await client.get("/api/v1/nothing-here")
    assert "content-security-policy" in api.headers


async def test_hsts_is_sent_when_the_site_is_served_over_https(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, base_url="https://tickets.example"))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_a_csp_report_is_logged_without_the_tokens_it_carries(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    report = (
        b'{"csp-report":{"document-uri":"http://x/login/confirm?token=SECRETSECRET",'
        b'"violated-directive":"script-src-elem","blocked-uri":"inline"}}'
    )
    with caplog.at_level(logging.WARNING, logger="poctix.csp"):
        response = await client.post(
            "/csp-report", content=report, headers={"content-type": "application/csp-report"}
        )
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "poctix.csp"]
    assert "script-src-elem" in record.getMessage()
    assert "SECRETSECRET" not in record.getMessage()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/login", "application/x-www-form-urlencoded"),
        ("/apply/", "application/x-www-form-urlencoded"),
        ("/api/v1/scanner/pair", "application/json"),
        ("/webhooks/stripe", "application/json"),
        ("/csp-report", "application/csp-report"),
    ],
)
async def test_an_oversized_body_is_a_413_on_every_public_post(
    client: Client, path: str, content_type: str
) -> None:
    body = b"x" * (3 * 1024 * 1024)  # the limit is 2 MiB (16 KiB for CSP reports)
    response = await client.post(path, content=body, headers={"content-type": content_type})
    assert response.status_code == 413
