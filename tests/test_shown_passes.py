"""What the buyer sees of each pass is built once (`passes.services.shown_passes`): the passes
page, the email, the wallet JSON and the Apple/Google Wallet lookup show the same passes, and a
void pass says the words of the one table (api/passes/void_wording.json) for its reason."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import OrganizerMember, PassStatus
from api.mail import content
from api.passes.services import issue_passes, set_status, shown_passes
from api.passes.wording import TABLE
from api.settings import Settings
from api.wallet.tickets import find_ticket
from tests import factories

Client = AsyncTestClient[Litestar]
REASONS = ["refunded", "disputed", "cancelled", "voided"]


def _buyer_words(reason: str) -> str:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    return str(table["reasons"].get(reason, table["other"])["buyer"])


async def test_each_void_reason_reads_the_one_wording_table_everywhere_the_buyer_looks(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    organizer = await factories.organizer(db)
    db.add(OrganizerMember(organizer_id=organizer.id, email="owner@reef.example", role="owner"))
    event = await factories.event(db, name="Low Tide", org=organizer)
    tier = await factories.tier(db, event=event, name="Floor", price_minor=2500, capacity=50)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=5)
    issued = await issue_passes(
        db, order=order, tier_id=tier.id, count=5, secret_key=settings.secret_key
    )
    for item, reason in zip(issued, REASONS, strict=False):
        await set_status(db, passes=[item], status=PassStatus.void, reason=reason)
    await db.commit()

    # In change order (what the order's pages have always shown): the untouched pass first.
    shown = await shown_passes(db, order=order, secret_key=settings.secret_key)
    assert [(p.number, p.tier, p.void_reason) for p in shown] == [
        (1, "Floor", None),
        (2, "Floor", "refunded"),
        (3, "Floor", "disputed"),
        (4, "Floor", "cancelled"),
        (5, "Floor", "voided"),
    ]
    assert [p.token is None for p in shown] == [False, True, True, True, True]
    expected = [_buyer_words(reason) for reason in REASONS]
    assert expected[0] == "Void — refunded"
    assert [p.wording.buyer for p in shown if p.wording] == expected

    page = BeautifulSoup((await client.get(f"/passes/{order.public_id}")).text, "html.parser")
    badges = [b.get_text(strip=True) for b in page.select("#passes li.pass .badge")]
    assert badges == expected
    assert [q["data-token"] for q in page.select("#passes .qr")] == [shown[0].token]

    draft = await content.tickets(db, order_id=order.id, settings=settings)
    for words in expected:
        assert f"{words}. Do not use." in draft.html

    wallet = (await client.get(f"/api/v1/orders/{order.public_id}/passes")).json()
    assert [(p["void_reason"], p["token"]) for p in wallet["passes"]] == [
        (p.void_reason, p.token) for p in shown
    ]

    ticket = await find_ticket(
        db,
        order_public_id=order.public_id,
        pass_id=shown[1].pass_id,
        secret_key=settings.secret_key,
    )
    assert ticket is not None
    assert (ticket.valid, ticket.tier, ticket.pass_id) == (False, "Floor", shown[1].pass_id)
    other = await find_ticket(
        db,
        order_public_id=order.public_id,
        pass_id=shown[0].pass_id,
        secret_key=settings.secret_key,
    )
    assert other is not None
    assert (other.valid, other.token) == (True, shown[0].token)
