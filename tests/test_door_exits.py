"""Exits and re-entry on the server (sync/PROTOCOL.md section 19): a re-entry after an exit is
not a double admission, "inside now" counts per door list and tier by the protocol's order, and
the live door credits each list's first admission."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin import door_lists, sync_service
from api.checkin.door_lists import ListFields
from api.checkin.services import create_pairing
from api.passes import services as pass_services
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import factories

Client = AsyncTestClient[Litestar]
T0 = 1_900_000_000_000


class Phone:
    def __init__(self, client: Client, body: dict[str, Any]) -> None:
        self.client = client
        self.device = body["device_id"]
        self.door = body["door"]
        self.list = body["list"]
        self.auth = {"authorization": f"Bearer {body['token']}"}
        self.seq = 0

    async def scan(
        self, pass_id: str, *, at: int, out: bool = False, saw: dict[str, int] | None = None
    ) -> None:
        self.seq += 1
        scan: dict[str, Any] = {
            "device": self.device,
            "seq": self.seq,
            "pass_id": pass_id,
            "scanned_at": at,
            "verdict": "exit" if out else "admit",
            "admitted": not out,
            "door": self.door,
            "vector": {**(saw or {}), **({self.device: self.seq - 1} if self.seq > 1 else {})},
        }
        if out:
            scan["direction"] = "out"
        if self.list != "default":
            scan["list"] = self.list
        response = await self.client.post(
            "/api/v1/scanner/push", json={"scans": [scan], "pending": 0}, headers=self.auth
        )
        assert response.status_code == 200, response.text


async def _phone(client: Client, code: str, name: str) -> Phone:
    response = await client.post("/api/v1/scanner/pair", json={"code": code, "name": name})
    assert response.status_code == 201, response.text
    return Phone(client, response.json())


async def test_a_guest_who_went_out_and_came_back_is_inside_once_and_no_double_admission(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db)
    general = await factories.tier(db, event=event, name="General")
    vip = await factories.tier(db, event=event, name="VIP")
    passes = {}
    for tier, count in ((general, 3), (vip, 1)):
        order = await factories.paid_order(db, event=event, tier=tier, quantity=count)
        passes[tier.name] = [
            pass_key_text(p.pass_key)
            for p in await pass_services.issue_passes(
                db, order=order, tier_id=tier.id, count=count, secret_key=settings.secret_key
            )
        ]
    deck = await door_lists.save_list(
        db, event=event, fields=ListFields("VIP deck", [vip.id], reentry=True), actor="o"
    )
    main = await create_pairing(db, event_id=event.id, door="Main", uses=2)
    deck_link = await create_pairing(db, event_id=event.id, door="Deck", door_list_id=deck.id)
    await db.commit()
    gate_a, gate_b = (
        await _phone(client, main.code, "Gate A"),
        await _phone(client, main.code, "Gate B"),
    )
    deck_phone = await _phone(client, deck_link.code, "Deck")
    ana, kai, noe = passes["General"]
    [lani] = passes["VIP"]

    # Ana: in at Gate A, out at Gate B (which knew nothing), back in at Gate A: inside, no conflict.
    await gate_a.scan(ana, at=T0)
    await gate_b.scan(ana, at=T0 + 60_000, out=True)
    await gate_a.scan(ana, at=T0 + 120_000, saw={gate_b.device: 1})
    # Kai: in at both gates offline, neither knowing: a true double admission.
    await gate_a.scan(kai, at=T0 + 1000)
    await gate_b.scan(kai, at=T0 + 2000)
    # Noe: in, then out: not inside.
    await gate_b.scan(noe, at=T0 + 3000)
    await gate_a.scan(noe, at=T0 + 4000, out=True, saw={gate_b.device: 3})
    # Lani: in at the main gate and on the VIP deck: inside on both lists, no conflict.
    await gate_a.scan(lani, at=T0 + 5000)
    await deck_phone.scan(lani, at=T0 + 6000)

    found = await sync_service.conflicts(db, event_id=event.id)
    assert [(c["pass_id"], c["first"]["door"], c["other"]["door"]) for c in found] == [
        (kai, "Gate A", "Gate B")
    ]
    assert await sync_service.inside_now(db, event_id=event.id) == {
        ("default", "General"): 2,  # Ana (back in) and Kai (once, whatever the conflict)
        ("default", "VIP"): 1,
        (str(deck.id), "VIP"): 1,
    }
    assert await sync_service.first_doors(db, event_id=event.id) == {
        "Gate A": 3,  # Ana, Kai (the first of the conflict), Lani
        "Gate B": 1,  # Noe
        "Deck": 1,  # Lani on the VIP deck
    }
