"""Tokens and secrets never reach a log line, an error page or a Sentry event.

A real `poctix run` (JSON logs at DEBUG, Sentry pointed at a loopback stand-in) is driven
through sign-in by magic link, a free checkout and its passes page, the wallet JSON, scanner
pairing and sync, the operator API and a forged webhook; then its whole output and everything
it sent to "Sentry" are searched for each secret it saw.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts.services import unseal
from api.checkin.services import create_pairing
from tests import factories
from tests.fault_support import serving
from tests.sentry_standin import SentryStandin

# The live server is driven with a blocking client: the test's own loop only reads the database.
# ruff: noqa: ASYNC212

SECRET_KEY = "fault-secret-" + "k" * 40  # what tests.fault_support gives the process
STRIPE_KEY = "sk_test_" + "S3cr3tStr1peKey" * 2
WEBHOOK_SECRET = "whsec_" + "W3bh00kS3cr3t" * 2
OPERATOR_PASSWORD = "operator-Pa55word-never-logged"


def _token(page: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def test_a_live_server_logs_and_reports_none_of_the_secrets_it_handles(
    database_url: str, db: AsyncSession, tmp_path: Path
) -> None:
    event = await factories.event(db, name="Quiet Night")
    tier = await factories.tier(db, event=event, name="General")
    pairing = await create_pairing(db, event_id=event.id, door="Gate")
    await db.commit()
    slug, tier_id, pairing_code = event.slug, tier.id, pairing.code
    seen: dict[str, str] = {
        "SECRET_KEY": SECRET_KEY,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ADMIN_PASSWORD": OPERATOR_PASSWORD,
        "pairing code": pairing_code,
    }
    with (
        SentryStandin() as sentry,
        serving(
            database_url, tmp_path, LOG_LEVEL="DEBUG", SENTRY_DSN=sentry.dsn,
            STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_API_BASE="http://127.0.0.1:9", ADMIN_USERNAME="operator",
            ADMIN_PASSWORD=OPERATOR_PASSWORD,
        ) as (app, url),
        httpx.Client(base_url=url) as browser,
    ):  # fmt: skip
        # Sign in by magic link.
        browser.post("/login", data={"_csrf_token": _token(browser.get("/login").text),
                                     "email": "nalu@example.com"})  # fmt: skip
        from sqlalchemy import select

        from api.db import OutboxMessage

        db.expire_all()
        sealed = await db.scalar(
            select(OutboxMessage.payload["sealed_token"].astext).where(
                OutboxMessage.kind == "login_link"
            )
        )
        link_token = unseal(str(sealed), secret_key=SECRET_KEY)
        assert link_token is not None
        seen["sign-in link token"] = link_token
        confirm = browser.get(f"/login/confirm?token={link_token}")
        signed_in = browser.post(
            "/login/confirm", data={"_csrf_token": _token(confirm.text), "token": link_token}
        )
        assert signed_in.status_code == 303
        seen["session cookie"] = browser.cookies["poctix_session"]

        # Buy a free ticket; open the passes page and the wallet JSON.
        page = browser.get(f"/e/{slug}")
        bought = browser.post(
            f"/e/{slug}/checkout",
            data={"_csrf_token": _token(page.text), f"qty-{tier_id}": "1",
                  "email": "nalu@example.com"},
        )  # fmt: skip
        assert bought.status_code == 303
        order_link = bought.headers["location"]
        seen["order link id"] = order_link.rstrip("/").split("/")[-1]
        assert browser.get(order_link).status_code == 200
        wallet = browser.get(f"/api/v1/orders/{seen['order link id']}/passes").json()
        seen["pass token"] = wallet["passes"][0]["token"]

        # Pair a door phone and sync with its token; a wrong token too.
        paired = browser.post("/api/v1/scanner/pair", json={"code": pairing_code, "name": "G"})
        device_token = paired.json()["token"]
        seen["device token"] = device_token
        auth = {"authorization": f"Bearer {device_token}"}
        assert browser.get("/api/v1/scanner/bootstrap", headers=auth).status_code == 200
        wrong = {"authorization": "Bearer NotTheTokenButStillSecret123"}
        seen["wrong bearer token"] = "NotTheTokenButStillSecret123"
        assert browser.get("/api/v1/scanner/bootstrap", headers=wrong).status_code == 401

        # The operator API, and a webhook signed with the wrong secret.
        operator = browser.get("/admin/", auth=("operator", OPERATOR_PASSWORD))
        assert operator.status_code == 200
        forged = browser.post(
            "/webhooks/stripe", content=b'{"id":"evt_1","type":"charge.refunded"}',
            headers={"stripe-signature": f"t=1,v1={WEBHOOK_SECRET}"},
        )  # fmt: skip
        assert forged.status_code == 400
        for response in (forged, wrong_page := browser.get(f"/passes/{'x' * 22}")):
            for name, value in seen.items():
                assert value not in response.text, f"{name} in an error page"
        assert wrong_page.status_code == 404
    output = app.output()
    assert '"path": "/passes/[order]"' in output  # the access log did see the request
    for name, value in seen.items():
        assert value not in output, f"{name} appears in the server's log"
    for envelope in sentry.envelopes:
        for name, value in seen.items():
            assert value not in envelope, f"{name} appears in a Sentry event"


def test_an_unhandled_error_reaches_sentry_without_the_secrets_around_it(tmp_path: Path) -> None:
    """In a process of its own: Sentry is process-wide, and initialising it here would follow
    every later test."""
    with SentryStandin() as sentry:
        script = textwrap.dedent(
            f"""
            import sentry_sdk
            from litestar import get
            from litestar.testing import TestClient
            from api.app import create_app
            from api.settings import Settings

            settings = Settings(
                environment="test", database_url="postgresql://nobody@127.0.0.1:9/none",
                secret_key="s" * 48, base_url="http://testserver.local",
                sentry_dsn={sentry.dsn!r}, data_dir={str(tmp_path)!r},
            )
            app = create_app(settings)

            @get("/api/v1/boom")
            async def boom() -> None:
                raise RuntimeError(
                    "charging failed with sk_live_Leaky123 for /passes/OrderLinkId1234567890"
                )

            app.register(boom)
            with TestClient(app=app) as client:
                response = client.get(
                    "/api/v1/boom?token=QueryTokenSecret999&code=abc",
                    headers={{"authorization": "Bearer HeaderTokenSecret888",
                              "cookie": "poctix_session=CookieSecret777"}},
                )
                assert response.status_code == 500, response.status_code
                assert "Leaky123" not in response.text
            sentry_sdk.flush(timeout=10)
            """
        )
        events = sentry.events_of_a_process(script)
    assert events, "the error was not reported to Sentry"
    text = "\n".join(events)
    assert "RuntimeError" in text
    for secret in ("sk_live_Leaky123", "OrderLinkId1234567890", "QueryTokenSecret999",
                   "HeaderTokenSecret888", "CookieSecret777"):  # fmt: skip
        assert secret not in text, f"{secret} reached Sentry"
