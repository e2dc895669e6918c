"""The dashboard's webhooks pages: owners and managers add endpoints and read the delivery
log; the secret is shown once (owners may reveal it again); Resend sends the same event."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AuditEntry, Organizer, OrganizerMember, WebhookEndpoint
from api.outgoing import hooks
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.jobs import run_jobs
from tests.test_dashboard import sign_in
from tests.test_outgoing import readme_verifier
from tests.webhook_receiver import Receiver, running_receiver

Client = AsyncTestClient[Litestar]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running_receiver()


async def _staff(db: AsyncSession) -> uuid.UUID:
    organizer = await factories.organizer(db, name="Reef Bar")
    organizer_id = organizer.id
    for email, role in (("own@reef.example", "owner"), ("man@reef.example", "manager"),
                        ("door@reef.example", "door_lead")):  # fmt: skip
        db.add(OrganizerMember(organizer_id=organizer_id, email=email, role=role))
    await db.commit()
    return organizer_id


async def _add(client: Client, org_id: uuid.UUID, url: str, events: list[str]) -> str:
    base = f"/admin/organizers/{org_id}/outgoing-webhooks/"
    page = await client.get(base)
    assert page.status_code == 200
    answer = await client.post(
        base, data={"_csrf_token": csrf_token(page.text), "url": url, "event": events}
    )
    return answer.text if answer.status_code == 200 else f"{answer.status_code}:{answer.text}"


async def test_an_owner_adds_an_endpoint_sees_its_secret_once_and_resends_a_failed_delivery(
    client: Client, db: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    org_id = await _staff(db)
    await sign_in(client, db, settings, "own@reef.example")
    profile = await client.get(f"/admin/organizers/{org_id}/")
    assert pages.one(profile.text, "a#webhooks")["href"].endswith("/outgoing-webhooks/")
    made = await _add(client, org_id, receiver.url, ["order.paid", "event.sold_out"])
    secret = pages.values(made, "[data-secret]", "value")[0]
    assert secret.startswith("whsec_")
    assert pages.text(made, "[data-events]") == "order.paid, event.sold_out"
    endpoint = await db.scalar(select(WebhookEndpoint))
    assert endpoint is not None
    assert secret.encode() not in endpoint.secret_sealed  # sealed, not stored as written
    log_page = f"/admin/organizers/{org_id}/outgoing-webhooks/{endpoint.id}"
    listed = await client.get(f"/admin/organizers/{org_id}/outgoing-webhooks/")
    assert pages.values(listed.text, "#endpoints [data-endpoint]", "data-endpoint") == [
        receiver.url
    ]
    shown_again = await client.get(log_page)
    assert pages.values(shown_again.text, "[data-secret]", "value") == []

    owner = await db.get_one(Organizer, org_id)
    event = await factories.event(db, org=owner, secret_key=settings.secret_key)
    tier = await factories.tier(db, event=event, name="Floor", capacity=2)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=1)
    await hooks.order_paid(db, order_id=order.id, event_id=event.id)
    await db.commit()
    receiver.answers = [503]
    await run_jobs(settings)
    log = await client.get(log_page)
    row = pages.one(log.text, "#deliveries tr[data-type='order.paid']")
    assert (row["data-status"], row["data-attempts"], row["data-response"]) == (
        "pending",
        "1",
        "503",
    )
    assert "HTTP 503" in pages.shown(row)

    resend = pages.one(log.text, "#deliveries tr[data-type='order.paid'] form")
    resent = await client.post(
        resend["action"], data={"_csrf_token": csrf_token(log.text)}, follow_redirects=False
    )
    assert resent.status_code == 303
    await run_jobs(settings)
    log = await client.get(log_page)
    row = pages.one(log.text, "#deliveries tr[data-type='order.paid']")
    assert (row["data-status"], row["data-attempts"], row["data-response"]) == (
        "delivered", "2", "200"
    )  # fmt: skip
    first, again = receiver.received
    assert first.body == again.body
    assert readme_verifier()(again.body, again.headers["poctix-signature"], secret)
    db.expire_all()
    actions = set(await db.scalars(select(AuditEntry.action)))
    assert {"webhook_endpoint.created", "webhook_delivery.resent"} <= actions


async def test_a_private_address_is_refused_with_the_reason_beside_the_form(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    org_id = await _staff(db)
    await sign_in(client, db, settings, "man@reef.example")
    answer = await _add(client, org_id, "https://10.1.2.3/hook", [])
    assert answer.startswith("400:")
    messages = pages.texts(answer[4:], "#errors li")
    assert messages == [
        "The URL must not point at a private or reserved network address.",
        "Choose at least one event to send.",
    ]
    assert await db.scalar(select(WebhookEndpoint)) is None


async def test_managers_manage_endpoints_but_only_owners_reveal_secrets_and_doors_see_nothing(
    client: Client, db: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    org_id = await _staff(db)
    other = await factories.organizer(db, name="Other Venue")
    other_id = other.id
    await db.commit()
    await sign_in(client, db, settings, "man@reef.example")
    made = await _add(client, org_id, receiver.url, ["pass.checked_in"])
    assert pages.values(made, "[data-secret]", "value")[0].startswith("whsec_")
    endpoint = await db.scalar(select(WebhookEndpoint))
    assert endpoint is not None
    log_page = f"/admin/organizers/{org_id}/outgoing-webhooks/{endpoint.id}"
    forged = await client.post(f"{log_page}/disable", data={})  # no CSRF token: refused
    assert forged.status_code == 403
    page = await client.get(log_page)
    assert "Reveal the signing secret" not in pages.main_text(page.text)
    reveal = await client.post(
        f"{log_page}/reveal",
        data={"_csrf_token": csrf_token(page.text)},
    )
    assert reveal.status_code == 403
    disabled = await client.post(
        f"{log_page}/disable",
        data={"_csrf_token": csrf_token(page.text)},
    )
    assert disabled.status_code == 200  # followed back to the endpoint's page
    assert pages.values(disabled.text, "[data-state]", "data-state") == ["disabled"]
    assert (await client.get(f"/admin/organizers/{other_id}/outgoing-webhooks/")).status_code == 404

    client.cookies.clear()
    await sign_in(client, db, settings, "own@reef.example")
    page = await client.get(log_page)
    revealed = await client.post(
        f"{log_page}/reveal",
        data={"_csrf_token": csrf_token(page.text)},
    )
    assert revealed.status_code == 200
    assert pages.values(revealed.text, "[data-secret]", "value")[0].startswith("whsec_")
    removed = await client.post(
        f"{log_page}/remove",
        data={"_csrf_token": csrf_token(page.text)},
    )
    assert removed.status_code == 200
    assert pages.values(removed.text, "#endpoints [data-endpoint]", "data-endpoint") == []

    client.cookies.clear()
    await sign_in(client, db, settings, "door@reef.example")
    assert (await client.get(f"/admin/organizers/{org_id}/outgoing-webhooks/")).status_code == 403
