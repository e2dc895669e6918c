"""Door lists on the server (sync/PROTOCOL.md section 18): a phone paired to a list learns it
at pairing and in its bootstrap, and a change to a list reaches it at its next pull, one record
per list changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

import sync
from api.checkin import door_lists
from api.checkin.door_lists import DoorListRefused, ListFields
from api.checkin.services import create_pairing
from tests import factories

Client = AsyncTestClient[Litestar]
SEVEN_PM = datetime(2026, 12, 24, 19, 0, tzinfo=UTC)


async def test_a_phone_paired_to_the_vip_deck_gets_its_list_and_then_each_change_once(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db)
    general = await factories.tier(db, event=event, name="General")
    vip = await factories.tier(db, event=event, name="VIP")
    deck = await door_lists.save_list(
        db,
        event=event,
        fields=ListFields("VIP deck", [vip.id], opens_at=SEVEN_PM),
        actor="owner@x.io",
    )
    await door_lists.save_list(
        db, event=event, fields=ListFields("Main gate", None, reentry=True), actor="owner@x.io"
    )
    pairing = await create_pairing(db, event_id=event.id, door="Deck", door_list_id=deck.id)
    await db.commit()

    paired = await client.post("/api/v1/scanner/pair", json={"code": pairing.code})
    assert paired.json()["list"] == str(deck.id)
    auth = {"authorization": f"Bearer {paired.json()['token']}"}
    boot = (await client.get("/api/v1/scanner/bootstrap", headers=auth)).json()
    assert boot["device"]["list"] == str(deck.id)
    state = sync.new_state()
    assert sync.merge_lists(state, boot["lists"]) == 2
    assert sync.door_list(state, str(deck.id)) == {
        "list_id": str(deck.id),
        "seq": 1,
        "name": "VIP deck",
        "tiers": ["VIP"],
        "from": int(SEVEN_PM.timestamp() * 1000),
        "until": None,
        "reentry": False,
    }

    pull = {"vector": boot["vector"], "lists_after": sync.lists_high(state)}
    nothing = (await client.post("/api/v1/scanner/pull", json=pull, headers=auth)).json()
    assert nothing["lists"] == []

    await door_lists.save_list(
        db,
        event=event,
        list_id=deck.id,
        fields=ListFields("VIP deck", [vip.id, general.id]),
        actor="owner@x.io",
    )
    await db.commit()
    changed = (await client.post("/api/v1/scanner/pull", json=pull, headers=auth)).json()
    assert [(r["name"], r["seq"], r["tiers"], r["from"]) for r in changed["lists"]] == [
        ("VIP deck", 3, ["General", "VIP"], None)
    ]
    old_phone = (
        await client.post("/api/v1/scanner/pull", json={"vector": boot["vector"]}, headers=auth)
    ).json()
    assert "lists" not in old_phone


async def test_a_list_that_cannot_be_saved_says_why_and_writes_nothing(db: AsyncSession) -> None:
    event = await factories.event(db)
    other = await factories.tier(db, event=await factories.event(db), name="Elsewhere")
    await door_lists.save_list(db, event=event, fields=ListFields("Deck", None), actor="o")
    refusals = {
        "": "Give the door list a name of 1 to 80 characters.",
        "Deck": "This event already has a door list called “Deck”.",
    }
    for name, message in refusals.items():
        with pytest.raises(DoorListRefused) as refused:
            await door_lists.save_list(db, event=event, fields=ListFields(name, None), actor="o")
        assert str(refused.value) == message
    with pytest.raises(DoorListRefused, match="not one of this event's"):
        await door_lists.save_list(
            db, event=event, fields=ListFields("Side", [other.id]), actor="o"
        )
    with pytest.raises(DoorListRefused, match="close after it opens"):
        await door_lists.save_list(
            db,
            event=event,
            fields=ListFields("Late", None, opens_at=SEVEN_PM, closes_at=SEVEN_PM),
            actor="o",
        )
    assert [d.name for d in await door_lists.event_lists(db, event_id=event.id)] == ["Deck"]


async def test_renaming_a_tier_resends_the_lists_that_name_it(db: AsyncSession) -> None:
    event = await factories.event(db)
    vip = await factories.tier(db, event=event, name="VIP")
    await door_lists.save_list(db, event=event, fields=ListFields("Deck", [vip.id]), actor="o")
    vip.name = "VIP lounge"
    await door_lists.tier_renamed(db, tier=vip)
    [record] = await door_lists.records(db, event_id=event.id, after=1)
    assert (record["seq"], record["tiers"]) == (2, ["VIP lounge"])


async def test_each_sync_call_records_the_scanner_version_the_phone_runs(
    client: Client, db: AsyncSession
) -> None:
    from api.db import ScannerDevice

    event = await factories.event(db)
    pairing = await create_pairing(db, event_id=event.id, door="Gate")
    await db.commit()
    paired = (await client.post("/api/v1/scanner/pair", json={"code": pairing.code})).json()
    auth = {"authorization": f"Bearer {paired['token']}"}
    for version, shown in (("3f9a2c1d", "3f9a2c1d"), ("x" * 41, "3f9a2c1d"), ("4b0e", "4b0e")):
        response = await client.post(
            "/api/v1/scanner/pull",
            json={"vector": {}},
            headers={**auth, "x-poctix-app": version},
        )
        assert response.status_code == 200
        device = await db.get(ScannerDevice, paired["device_id"], populate_existing=True)
        assert device is not None
        assert device.app_version == shown
