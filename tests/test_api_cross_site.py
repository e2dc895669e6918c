"""Cross-site writes to the JSON API, and bodies that are not JSON (issue 14 item 6).

A browser that holds the operator's Basic credentials sends them with a cross-site form; a
`text/plain` form body reads as JSON. Every write under `/api/` now refuses a foreign `Origin` or
`Sec-Fetch-Site: cross-site` (403) and a body that is not JSON (415; uploads take multipart),
while same-origin pages, scripts without an Origin, and the Stripe webhooks keep working.
"""

from __future__ import annotations

import base64
import io

from litestar import Litestar
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Organizer
from tests.shop import OPERATOR, Shop, order_state

BASIC = {"Authorization": "Basic " + base64.b64encode(":".join(OPERATOR).encode()).decode()}
EVIL = "https://evil.example"


async def paid_order(shop: Shop) -> str:
    session_id, public_id = await shop.checkout(quantity=2)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    return public_id


def refunds_asked(shop: Shop) -> int:
    return sum(1 for r in shop.standin.requests if r.path == "/v1/refunds")


async def test_a_cross_site_text_plain_form_with_basic_credentials_refunds_nothing(
    shop: Shop, db: AsyncSession
) -> None:
    public_id = await paid_order(shop)
    url = f"/api/v1/admin/orders/{public_id}/refund"
    # What <form enctype="text/plain"> on evil.example posts, credentials and all.
    forged = await shop.browser.post(
        url,
        content=b'{"reason": "x", "ignore": "=1"}',
        headers={**BASIC, "Content-Type": "text/plain", "Origin": EVIL,
                 "Sec-Fetch-Site": "cross-site"},
    )  # fmt: skip
    assert forged.status_code == 403
    assert "Cross-site requests to the API are refused" in forged.json()["detail"]
    # Browsers that send only Sec-Fetch-Site, or only Origin (even `null`), are refused alike.
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}, {"Origin": EVIL}):
        again = await shop.browser.post(url, json={}, headers={**BASIC, **headers})
        assert again.status_code == 403, headers
    await shop.standin.settle_async()
    assert refunds_asked(shop) == 0
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])


async def test_a_body_that_is_not_json_is_a_415_even_without_an_origin(
    shop: Shop, db: AsyncSession
) -> None:
    public_id = await paid_order(shop)
    url = f"/api/v1/admin/orders/{public_id}/refund"
    for kind in ("text/plain", "application/x-www-form-urlencoded"):
        answer = await shop.browser.post(
            url, content=b"{}", headers={**BASIC, "Content-Type": kind}
        )
        assert answer.status_code == 415
        assert answer.json()["detail"] == (
            f"This endpoint takes Content-Type: application/json (the request said {kind})."
        )
    assert refunds_asked(shop) == 0
    assert await order_state(db, public_id) == ("paid", 2, 0, ["valid", "valid"])


async def test_same_origin_json_and_scripts_without_an_origin_still_work(
    shop: Shop, db: AsyncSession
) -> None:
    public_id = await paid_order(shop)
    same_site = {**BASIC, "Origin": shop.url, "Sec-Fetch-Site": "same-origin"}
    resent = await shop.browser.post(f"/api/v1/admin/orders/{public_id}/resend", headers=BASIC)
    assert resent.status_code == 202, resent.text  # curl: no body, no Content-Type
    refund = await shop.browser.post(
        f"/api/v1/admin/orders/{public_id}/refund",
        json={},
        headers={**same_site, "Content-Type": "application/json; charset=utf-8"},
    )
    assert refund.status_code == 202, refund.text
    await shop.standin.settle_async()
    assert await order_state(db, public_id) == ("refunded", 0, 0, ["void", "void"])


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, format="PNG")
    return out.getvalue()


async def test_logo_uploads_take_multipart_from_this_site_but_not_from_another(
    shop: Shop, db: AsyncSession
) -> None:
    organizer_id = await db.scalar(select(Organizer.id))
    url = f"/api/v1/admin/organizers/{organizer_id}/logo"
    files = {"file": ("logo.png", png(), "image/png")}
    foreign = await shop.browser.put(url, files=files, headers={**BASIC, "Origin": EVIL})
    assert foreign.status_code == 403
    as_json = await shop.browser.put(url, json={"file": "x"}, headers=BASIC)
    assert as_json.status_code == 415
    assert "multipart/form-data" in as_json.json()["detail"]
    uploaded = await shop.browser.put(url, files=files, headers={**BASIC, "Origin": shop.url})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["url"].startswith("/media/")


async def test_pairing_from_a_foreign_page_is_refused(shop: Shop) -> None:
    answer = await shop.browser.post(
        "/api/v1/scanner/pair", json={"code": "x" * 16}, headers={"Origin": EVIL}
    )
    assert answer.status_code == 403
    # The same request from the site itself reaches the pairing check (an unknown code).
    ours = await shop.browser.post(
        "/api/v1/scanner/pair", json={"code": "x" * 16}, headers={"Origin": shop.url}
    )
    assert ours.status_code == 403
    assert "Cross-site" not in ours.json()["detail"]


def test_every_write_under_api_declares_the_403_and_415_in_its_openapi(app: Litestar) -> None:
    schema = app.openapi_schema.to_schema()
    undeclared = [
        f"{method.upper()} {path}: {sorted(set(('403', '415')) - set(op['responses']))}"
        for path, item in schema["paths"].items()
        if path.startswith("/api/")
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
        and not {"403", "415"} <= set(op["responses"])
    ]
    assert undeclared == []
