"""The organizer sets what buyers may do after the sale on the event's "Transfers and
cancellations" page; the passes page then offers it. Door leads may not change it."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AuditEntry, OrganizerMember, SelfServicePolicy
from api.passes.services import issue_passes
from api.settings import Settings
from tests import factories
from tests.forms import csrf_token
from tests.pages import one, parse, texts
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]


async def test_an_owner_allows_transfers_and_cancellations_and_buyers_see_the_forms(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, secret_key=settings.secret_key)
    tier = await factories.tier(db, event=event, capacity=10)
    db.add(OrganizerMember(organizer_id=event.organizer_id, email="o@x.io", role="owner"))
    event_id = event.id
    await db.commit()
    await sign_in(client, db, settings, "o@x.io")
    edit = await client.get(f"/admin/events/{event_id}")
    link = one(edit.text, "#self-service-link")["href"]
    page = await client.get(str(link))
    assert page.status_code == 200
    assert parse(page.text).select("#self-service-form input[checked]") == []

    bad = await client.post(
        str(link),
        data={"_csrf_token": csrf_token(page.text), "transfers": "yes", "transfer_hours": "-3",
              "cancellation": "yes", "cancel_hours": "lots"},
    )  # fmt: skip
    assert bad.status_code == 400
    assert len(texts(bad.text, "#errors li")) == 2
    assert await db.get(SelfServicePolicy, event_id) is None

    saved = await client.post(
        str(link),
        data={"_csrf_token": csrf_token(page.text), "transfers": "yes", "transfer_hours": "2",
              "cancellation": "yes", "cancel_hours": "72", "cancel_refunds_fee": "yes"},
    )  # fmt: skip
    assert saved.status_code == 200  # after the redirect: the page again, saying so
    assert saved.url.path == f"/admin/events/{event_id}/self-service"
    assert one(saved.text, "#saved").text == "Saved."
    ticked = parse(saved.text).select("#self-service-form input[checked]")
    assert {str(i["name"]) for i in ticked} == {"transfers", "cancellation", "cancel_refunds_fee"}
    assert one(saved.text, 'input[name="cancel_hours"]')["value"] == "72"
    rules = await db.get(SelfServicePolicy, event_id)
    assert rules is not None
    assert (rules.transfer_hours, rules.cancel_hours, rules.cancel_refunds_fee) == (2, 72, True)
    assert (
        await db.scalar(select(AuditEntry.actor).where(AuditEntry.action == "event.self_service"))
        == "o@x.io"
    )

    # A buyer of a free ticket now sees both forms on the passes page.
    await db.refresh(event)
    await db.refresh(tier)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=1)
    order.total_minor = 0
    await issue_passes(db, order=order, tier_id=tier.id, count=1, secret_key=settings.secret_key)
    await db.commit()
    passes = await client.get(f"/passes/{order.public_id}")
    assert len(parse(passes.text).select("[data-transfer] form")) == 1
    assert parse(passes.text).select("#cancel-tickets form")


async def test_a_door_lead_cannot_change_them(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db)
    db.add(OrganizerMember(organizer_id=event.organizer_id, email="d@x.io", role="door_lead"))
    event_id = event.id
    await db.commit()
    await sign_in(client, db, settings, "d@x.io")
    page = await client.get(f"/admin/events/{event_id}/self-service")
    assert page.status_code == 403
