"""The dashboard's side of the door (issue 16): checking a guest in from the order page, door
lists, pairing links bound to a list, the device list and the live door per list."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AuditEntry, Event, Order, OrderLine, PassStatus
from api.passes import services as pass_services
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import pages
from tests.forms import csrf_token
from tests.test_dashboard import sign_in, two_organizers

Client = AsyncTestClient[Litestar]


async def test_an_owner_checks_a_guest_in_from_the_order_page_once(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    order = await db.scalar(select(Order).where(Order.buyer_email == "ana@x.io"))
    assert order is not None
    tier_id = await db.scalar(select(OrderLine.tier_id).where(OrderLine.order_id == order.id))
    assert tier_id is not None
    first, refunded = await pass_services.issue_passes(
        db, order=order, tier_id=tier_id, count=2, secret_key=settings.secret_key
    )
    await pass_services.set_status(db, passes=[refunded], status=PassStatus.void, reason="refunded")
    public_id = order.public_id
    organizer_id = await db.scalar(select(Event.organizer_id).where(Event.id == order.event_id))
    first_id, refunded_id = pass_key_text(first.pass_key), pass_key_text(refunded.pass_key)
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")

    page = await client.get(f"/admin/orders/{public_id}")
    # A void pass has no button: the door would turn it away.
    assert pages.values(page.text, "#passes form[data-check-in]", "data-check-in") == [first_id]
    checked = await client.post(
        f"/admin/orders/{public_id}/check-in",
        data={"_csrf_token": csrf_token(page.text), "pass": first_id},
    )
    assert checked.status_code == 200
    said = pages.one(checked.text, "#checked-in")
    assert (said["data-pass"], said["data-code"], said["data-recorded"]) == (
        first_id, "admit", "yes",
    )  # fmt: skip
    assert pages.shown(said) == f"{first_id}: Checked in — Admit"

    again = await client.post(
        f"/admin/orders/{public_id}/check-in",
        data={"_csrf_token": csrf_token(checked.text), "pass": first_id},
    )
    said = pages.one(again.text, "#checked-in")
    assert (said["data-code"], said["data-recorded"]) == ("already_scanned", "no")
    assert pages.shown(said).startswith(f"{first_id}: Already scanned ")
    assert pages.shown(said).endswith(" at Dashboard")

    forged = await client.post(
        f"/admin/orders/{public_id}/check-in",
        data={"_csrf_token": csrf_token(again.text), "pass": refunded_id},
    )
    said = pages.one(forged.text, "#checked-in")
    assert (said["data-code"], pages.shown(said)) == (
        "void", f"{refunded_id}: Refunded — do not admit",
    )  # fmt: skip
    unknown = await client.post(
        f"/admin/orders/{public_id}/check-in",
        data={"_csrf_token": csrf_token(again.text), "pass": "NOPE"},
    )
    assert unknown.status_code == 404
    actions = await db.scalars(
        select(AuditEntry.action).where(AuditEntry.organizer_id == organizer_id)
    )
    assert list(actions).count("checkin.dashboard") == 1
