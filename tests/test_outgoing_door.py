"""`pass.checked_in`: a door's admission is sent once, when the phone's sync push brings it to
the server (not when it was scanned offline, and not again when the phone pushes it again)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.services import create_pairing
from api.db import utcnow
from api.outgoing import endpoints
from api.passes import services as pass_services
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import factories
from tests.jobs import run_jobs
from tests.test_outgoing import readme_verifier
from tests.webhook_receiver import Receiver, running_receiver

T0 = 1_900_000_000_000


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running_receiver()


async def test_an_admission_pushed_by_a_door_is_sent_once_as_pass_checked_in(
    client: AsyncTestClient[Litestar], db: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event, name="General")
    order = await factories.paid_order(db, event=event, tier=tier, quantity=2)
    passes = await pass_services.issue_passes(
        db, order=order, tier_id=tier.id, count=2, secret_key=settings.secret_key
    )
    pairing = await create_pairing(db, event_id=event.id, door="Main gate", uses=1)
    made = await endpoints.create(
        db, organizer_id=event.organizer_id, url=receiver.url, events=["pass.checked_in"],
        actor="owner@example.com", settings=settings,
    )  # fmt: skip
    await db.commit()
    paired = await client.post("/api/v1/scanner/pair", json={"code": pairing.code, "name": "A"})
    device, token = paired.json()["device_id"], paired.json()["token"]
    first, second = (pass_key_text(p.pass_key) for p in passes)
    scans = [
        {"device": device, "seq": 1, "pass_id": first, "scanned_at": T0, "verdict": "admit",
         "admitted": True, "door": "Main gate", "vector": {}},
        {"device": device, "seq": 2, "pass_id": second, "scanned_at": T0 + 1000,
         "verdict": "already_scanned", "admitted": False, "door": "Main gate",
         "vector": {device: 1}},
    ]  # fmt: skip
    auth = {"authorization": f"Bearer {token}"}
    for _ in range(2):  # the phone lost the first answer and pushes again
        pushed = await client.post("/api/v1/scanner/push", json={"scans": scans}, headers=auth)
        assert pushed.status_code == 200, pushed.text
    await run_jobs(settings, now=utcnow())
    [got] = receiver.received
    assert readme_verifier()(got.body, got.headers["poctix-signature"], made.secret)
    event_body = got.event
    assert event_body["type"] == "pass.checked_in"
    data = event_body["data"]
    assert data["pass"]["id"] == first
    assert data["pass"]["order"] == str(order.id)
    assert data["scan"]["door"] == "Main gate"
    assert data["scan"]["scanned_at"].startswith("2030-03-17T")
    assert data["scan"]["device"] == {"id": device, "name": "A"}
