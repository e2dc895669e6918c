"""One email rule, the mailer's: every form refuses an address the mailer would not send to.

Checkout used to accept `a..b@example.com` and its kin; the mailer refuses them, so such a buyer
paid and never got the ticket email. Checkout, sign-in, member add and the application form now
ask `api.mail.addresses.deliverable`, the mailer's own rule.
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, OrganizerApplication, OrganizerMember, OutboxMessage
from api.settings import Settings
from tests import factories
from tests.test_accounts import ask_for_link
from tests.test_applications import GOOD, apply
from tests.test_checkout import buy
from tests.test_dashboard import sign_in
from tests.test_members import OWNER, post, reef

Client = AsyncTestClient[Litestar]
REFUSED_BY_THE_MAILER = [
    "a..b@example.com",
    ".a@example.com",
    "a(b)@example.com",
    "a[b]@example.com",
    "a:b@example.com",
]


async def count(db: AsyncSession, model: type, *where: ColumnElement[bool]) -> int:
    db.expire_all()
    found = await db.scalar(select(func.count()).select_from(model).where(*where))
    return int(found or 0)


async def try_everywhere(
    client: Client, db: AsyncSession, settings: Settings, address: str
) -> dict[str, object]:
    """The address typed into checkout, sign-in, member add and the application form."""
    event = await factories.event(db, name="Open Mic")
    tier = await factories.tier(db, event=event, name="Floor", capacity=5)
    await db.commit()
    organizer, _ = await reef(db)
    await sign_in(client, db, settings, OWNER)
    links_before = await count(db, OutboxMessage, OutboxMessage.kind == "login_link")
    await db.refresh(event)
    await db.refresh(tier)

    status, _, body = await buy(client, event, {f"qty-{tier.id}": "1", "email": address})
    await ask_for_link(client, address)
    links = await count(db, OutboxMessage, OutboxMessage.kind == "login_link") - links_before
    member = await post(client, f"/admin/organizers/{organizer}/members", email=address,
                        role="manager")  # fmt: skip
    applied, _, application_page = await apply(client, **{**GOOD, "contact_email": address})
    return {
        "checkout": (status, "Enter a valid email address" in body),
        "orders": await count(db, Order),
        "sign-in links": links,
        "member": (member.status_code, "does not look like an email address" in member.text),
        "members": await count(
            db, OrganizerMember, OrganizerMember.email == address.strip().lower()
        ),
        "application": (applied, "Email does not look like an email address." in application_page),
        "applications": await count(db, OrganizerApplication),
    }


@pytest.mark.parametrize("address", REFUSED_BY_THE_MAILER)
async def test_an_address_the_mailer_refuses_is_refused_by_every_form(
    client: Client, db: AsyncSession, settings: Settings, address: str
) -> None:
    seen = await try_everywhere(client, db, settings, address)
    assert seen == {
        "checkout": (422, True),
        "orders": 0,
        "sign-in links": 0,
        "member": (409, True),
        "members": 0,
        "application": (400, True),
        "applications": 0,
    }


async def test_a_plain_address_is_accepted_by_every_form(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    seen = await try_everywhere(client, db, settings, "Kai.Lee+door@Example.com")
    assert seen == {
        "checkout": (303, False),
        "orders": 1,
        "sign-in links": 1,
        "member": (303, False),
        "members": 1,
        "application": (303, False),
        "applications": 1,
    }
