"""The binary bootstrap the PWA downloads carries the same snapshot as the JSON one, without
base64 and without compression (the pass keys are random bytes)."""

from __future__ import annotations

import base64
import json

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.services import create_pairing
from api.passes import services as pass_services
from api.settings import Settings
from tests import factories

Client = AsyncTestClient[Litestar]


async def test_the_binary_bootstrap_frames_the_json_answer_and_the_same_pass_records(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db)
    general = await factories.tier(db, event=event, name="General")
    vip = await factories.tier(db, event=event, name="VIP")
    for tier, count in ((general, 3), (vip, 2)):
        order = await factories.paid_order(db, event=event, tier=tier, quantity=count)
        issued = await pass_services.issue_passes(
            db, order=order, tier_id=tier.id, count=count, secret_key=settings.secret_key
        )
    await pass_services.set_status(db, passes=issued[:1], status="void", reason="refunded")
    pairing = await create_pairing(db, event_id=event.id, door="Gate", uses=1)
    await db.commit()
    paired = await client.post("/api/v1/scanner/pair", json={"code": pairing.code})
    auth = {"authorization": f"Bearer {paired.json()['token']}", "accept-encoding": "gzip"}

    as_json = (await client.get("/api/v1/scanner/bootstrap", headers=auth)).json()
    binary = await client.get("/api/v1/scanner/bootstrap/binary", headers=auth)

    assert binary.status_code == 200
    assert binary.headers["content-type"] == "application/vnd.poctix.bootstrap"
    assert "content-encoding" not in binary.headers
    body = binary.content
    assert body[:4] == b"PXB1"
    length = int.from_bytes(body[4:8], "big")
    header = json.loads(body[8 : 8 + length])
    records = body[8 + length :]
    assert header["passes"] == {"count": 5, "data": ""}
    assert records == base64.b64decode(as_json["passes"]["data"])
    assert {k: v for k, v in header.items() if k not in ("passes", "server_time")} == {
        k: v for k, v in as_json.items() if k not in ("passes", "server_time")
    }
    # 13 bytes a pass: key, status (1 = void, refunded), tier index (General 0, VIP 1).
    kinds = sorted((records[i + 11], records[i + 12]) for i in range(0, len(records), 13))
    assert kinds == [(0, 0), (0, 0), (0, 0), (0, 1), (1, 1)]
    assert header["tiers"] == ["General", "VIP"]


async def test_the_binary_bootstrap_needs_a_paired_phone(client: Client) -> None:
    response = await client.get("/api/v1/scanner/bootstrap/binary")
    assert response.status_code == 401
