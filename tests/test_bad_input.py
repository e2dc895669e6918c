"""Bad input that used to be a 500 (issue 14 item 8): each is now a 4xx with a message, or, for
a door phone's scan the database cannot hold, a placeholder the phone is told about.

A phone whose outbox held such a scan retried the same failing push for ever and never uploaded
another scan; now the server stores the rest, keeps the refused seq (so the device's run stays
gap-free for every door) and answers which scans it refused and why.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.services import create_pairing
from api.db import Pass, Scan
from api.passes import services as pass_services
from api.passes.tokens import pass_key_text
from api.settings import Settings
from api.web.json_body import MAX_DEPTH, nested_deeper_than
from tests import factories

Client = AsyncTestClient[Litestar]
T0 = 1_900_000_000_000
Setup = tuple[str, list[str], uuid.UUID]
DEEP = b"[" * 100_000 + b"]" * 100_000


def test_depth_is_measured_outside_strings_and_in_linear_time() -> None:
    assert not nested_deeper_than(b'{"a": [[1]], "b": "[[[[[[[[[["}', 3)
    assert nested_deeper_than(b'{"a": [[[1]]]}', 3)
    assert not nested_deeper_than(b'["\\"[[[[", "\\\\", {}]', 2)
    assert nested_deeper_than(DEEP, MAX_DEPTH)
    assert not nested_deeper_than(b'"' + b"\\" * 50_000 + b"[[[[", 1)  # unterminated


@pytest.mark.parametrize(
    "path", ["/api/v1/scanner/pair", "/api/v1/scanner/push", "/api/v1/scanner/pull"]
)
async def test_json_nested_100000_deep_is_a_400_that_says_so(
    client: Client, path: str, paired: dict[str, str]
) -> None:
    for body in (DEEP, b'{"code": "' + b"x" * 16 + b'", "name": ' + DEEP + b"}"):
        response = await client.post(
            path, content=body, headers={**paired, "content-type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert "too deeply nested" in response.json()["detail"]


@pytest.fixture
async def setup(db: AsyncSession, settings: Settings) -> Setup:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event, name="General")
    order = await factories.paid_order(db, event=event, tier=tier, quantity=2)
    passes = await pass_services.issue_passes(
        db, order=order, tier_id=tier.id, count=2, secret_key=settings.secret_key
    )
    pairing = await create_pairing(db, event_id=event.id, door="Main gate")
    await db.commit()
    return pairing.code, [pass_key_text(p.pass_key) for p in passes], event.id


@pytest.fixture
async def paired(client: Client, setup: Setup) -> dict[str, str]:
    response = await client.post("/api/v1/scanner/pair", json={"code": setup[0], "name": "A"})
    assert response.status_code == 201, response.text
    body = response.json()
    return {"authorization": f"Bearer {body['token']}", "device": body["device_id"]}


def scan(device: str, seq: int, pass_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "device": device, "seq": seq, "pass_id": pass_id, "scanned_at": T0 + seq,
        "verdict": "admit", "admitted": True, "door": "Gate A",
        "vector": {device: seq - 1} if seq > 1 else {}, **fields,
    }  # fmt: skip


async def test_a_push_stores_what_it_can_and_names_the_scans_it_refused(
    client: Client, db: AsyncSession, setup: Setup, paired: dict[str, str]
) -> None:
    device, auth = paired["device"], {"authorization": paired["authorization"]}
    good = setup[1][0]
    batch = [
        scan(device, 1, good),
        scan(device, 2, good, verdict="already_scanned_but_longer"),
        scan(device, 3, good, door="Gate\u0000A"),
        scan(device, 4, good, scanned_at=253_402_300_800_000),  # 10000-01-01
        scan(device, 5, good, note={"deep": ["x\u0000"]}),
        scan(device, 6, setup[1][1]),
    ]
    response = await client.post("/api/v1/scanner/push", json={"scans": batch}, headers=auth)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["acked"] == 6
    assert [(r["seq"], r["code"]) for r in answer["refused"]] == [
        (2, "verdict_too_long"), (3, "nul_character"), (4, "time_out_of_range"),
        (5, "nul_character"),
    ]  # fmt: skip
    assert answer["refused"][0]["reason"] == "its verdict is longer than 20 characters"
    db.expire_all()
    rows = (await db.scalars(select(Scan).order_by(Scan.seq))).all()
    assert [(r.seq, r.verdict, r.admitted) for r in rows] == [
        (1, "admit", True), (2, "refused", False), (3, "refused", False),
        (4, "refused", False), (5, "refused", False), (6, "admit", True),
    ]  # fmt: skip
    assert rows[1].extra == {"refused": "verdict_too_long"}
    # Sending the same batch again (a lost answer) gets the same answer and stores nothing new.
    again = await client.post("/api/v1/scanner/push", json={"scans": batch}, headers=auth)
    assert again.status_code == 200
    assert again.json()["refused"] == answer["refused"]
    assert len((await db.scalars(select(Scan))).all()) == 6


async def test_another_door_pulls_the_placeholder_so_the_run_has_no_hole(
    client: Client, db: AsyncSession, setup: Setup, paired: dict[str, str]
) -> None:
    device, auth = paired["device"], {"authorization": paired["authorization"]}
    batch = [scan(device, 1, setup[1][0], verdict="x" * 21), scan(device, 2, setup[1][1])]
    pushed = await client.post("/api/v1/scanner/push", json={"scans": batch}, headers=auth)
    assert pushed.json()["acked"] == 2
    link = await create_pairing(db, event_id=setup[2], door="Side door")
    await db.commit()
    pairing = await client.post("/api/v1/scanner/pair", json={"code": link.code, "name": "B"})
    assert pairing.status_code == 201, pairing.text
    other = {"authorization": f"Bearer {pairing.json()['token']}"}
    pulled = await client.post("/api/v1/scanner/pull", json={"vector": {}}, headers=other)
    scans = pulled.json()["scans"]
    assert [(s["seq"], s["verdict"], s["admitted"]) for s in scans] == [
        (1, "refused", False),
        (2, "admit", True),
    ]


async def test_a_scan_the_server_cannot_store_no_longer_blocks_the_phone(
    client: Client, db: AsyncSession, setup: Setup, paired: dict[str, str]
) -> None:
    # Each of these alone was a 500 or a 400 on every retry, the phone's outbox stuck behind it.
    device, auth = paired["device"], {"authorization": paired["authorization"]}
    bad_fields = ({"verdict": "v" * 21}, {"door": "\u0000"}, {"scanned_at": 2**53 - 1})
    for seq, bad in enumerate(bad_fields, start=1):
        response = await client.post(
            "/api/v1/scanner/push",
            json={"scans": [scan(device, seq, setup[1][0], **bad)]},
            headers=auth,
        )
        assert response.status_code == 200, response.text
        assert response.json()["acked"] == seq
        assert response.json()["refused"][0]["seq"] == seq
    assert await db.scalar(select(Pass.id).limit(1)) is not None
