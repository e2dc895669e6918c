"""Events from the dashboard: duplicate one, delete a draft that never sold; add to calendar."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin import door_lists
from api.db import (
    AttendeeQuestion,
    AuditEntry,
    Code,
    DoorList,
    Event,
    EventKey,
    Order,
    OrderStatus,
    OrganizerMember,
    SelfServicePolicy,
    TicketTier,
    WaitingListSettings,
)
from api.events import copying
from api.mail import content
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.mail_standin.kit import free_order
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]
OWNER = "owner@reef.example"


async def _event_with_tiers_and_lists(
    db: AsyncSession, settings: Settings, *, published: bool = True
) -> tuple[Event, TicketTier, TicketTier]:
    org = await factories.organizer(db)
    db.add(OrganizerMember(organizer_id=org.id, email=OWNER, role="owner"))
    event = await factories.event(
        db, name="Full Moon", org=org, published=published, timezone="Europe/Lisbon",
        secret_key=settings.secret_key,
    )  # fmt: skip
    event.description = "Music by the water."
    floor = await factories.tier(db, event=event, name="Floor", price_minor=0, capacity=80)
    floor.max_per_order, floor.position = 6, 1
    deck = await factories.tier(db, event=event, name="Deck", price_minor=0, capacity=20)
    deck.sales_end, deck.position = event.starts_at - timedelta(hours=1), 2
    db.add_all([
        AttendeeQuestion(event_id=event.id, label="Dietary needs", kind="text", tier_ids=[deck.id]),
        Code(event_id=event.id, code="FRIENDS", kind="percent", value=20, tier_ids=[floor.id],
             max_uses=50, uses=5),
        SelfServicePolicy(event_id=event.id, transfers=True, transfer_hours=6),
        WaitingListSettings(tier_id=floor.id, offer_hours=12),
    ])  # fmt: skip
    await door_lists.save_list(
        db, event=event, actor=OWNER,
        fields=door_lists.ListFields("Deck door", [deck.id], opens_at=event.starts_at,
                                     reentry=True),
    )  # fmt: skip
    await db.commit()
    return event, floor, deck


async def _post_form(client: Client, page: str, action: str) -> tuple[int, str, str]:
    """Open the page, submit its form the way a browser does (following the redirect)."""
    opened = await client.get(page)
    assert opened.status_code == 200, opened.text
    sent = await client.post(action, data={"_csrf_token": csrf_token(opened.text)})
    return sent.status_code, str(sent.url), sent.text


async def test_an_owner_duplicates_an_event_with_its_tiers_and_door_lists_but_no_orders(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, floor, _ = await _event_with_tiers_and_lists(db, settings)
    await free_order(db, settings, slug=event.slug, tier_id=floor.id, quantity=2)
    original_id, original_slug = event.id, event.slug
    await sign_in(client, db, settings, OWNER)

    status, url, page = await _post_form(
        client, f"/admin/events/{original_id}", f"/admin/events/{original_id}/duplicate"
    )
    assert status == 200
    assert pages.text(page, "h1") == "Full Moon (copy)"
    assert pages.one(page, "#status")["data-published"] == "false"
    assert pages.one(page, "#copied")["role"] == "status"
    # (tier, price, sold, held, capacity, edit): nothing sold or held in the copy
    assert [[row[0], *row[2:5]] for row in pages.rows(page, "#tiers tr[data-tier]")] == [
        ["Floor", "0", "0", "80"],
        ["Deck", "0", "0", "20"],
    ]
    copy_id = uuid.UUID(url.split("/admin/events/")[1].split("?")[0])
    db.expire_all()
    copy = await db.get_one(Event, copy_id)
    original = await db.get_one(Event, original_id)
    assert copy.slug == f"{original_slug}-copy"
    assert not copy.published
    for column in Event.__table__.columns:  # every setting comes along, whatever its name
        if column.key not in copying.EVENT_STATE | {"name"}:
            assert getattr(copy, column.key) == getattr(original, column.key), column.key
    tiers = list(
        await db.scalars(
            select(TicketTier).where(TicketTier.event_id == copy_id).order_by(TicketTier.position)
        )
    )
    by_name = {
        t.name: t
        for t in await db.scalars(select(TicketTier).where(TicketTier.event_id == original_id))
    }
    assert sorted(by_name) == sorted(t.name for t in tiers) == ["Deck", "Floor"]
    for tier in tiers:
        before = by_name[tier.name]
        for column in TicketTier.__table__.columns:
            if column.key not in copying.TIER_STATE:
                assert getattr(tier, column.key) == getattr(before, column.key), column.key
    [copied_list] = list(await db.scalars(select(DoorList).where(DoorList.event_id == copy_id)))
    copied_deck = next(t for t in tiers if t.name == "Deck")
    assert (copied_list.name, copied_list.tier_ids, copied_list.reentry, copied_list.seq) == (
        "Deck door", [copied_deck.id], True, 1,
    )  # fmt: skip
    assert copied_list.opens_at == original.starts_at
    assert copy.list_seq == 1
    copied_floor = next(t for t in tiers if t.name == "Floor")
    [question] = list(
        await db.scalars(select(AttendeeQuestion).where(AttendeeQuestion.event_id == copy_id))
    )
    assert (question.label, question.tier_ids) == ("Dietary needs", [copied_deck.id])
    [code] = list(await db.scalars(select(Code).where(Code.event_id == copy_id)))
    assert (code.code, code.value, code.tier_ids, code.max_uses, code.uses) == (
        "FRIENDS", 20, [copied_floor.id], 50, 0,
    )  # fmt: skip
    policy = await db.get_one(SelfServicePolicy, copy_id)
    assert (policy.transfers, policy.transfer_hours) == (True, 6)
    waiting = await db.get_one(WaitingListSettings, copied_floor.id)
    assert waiting.offer_hours == 12
    orders = await db.scalar(
        select(func.count()).select_from(Order).where(Order.event_id == copy_id)
    )
    assert orders == 0
    # Its own signing key, as every new event gets.
    kids = {
        k.event_id: k.kid
        for k in await db.scalars(
            select(EventKey).where(EventKey.event_id.in_([original_id, copy_id]))
        )
    }
    assert len(set(kids.values())) == 2
    actions = list(
        await db.scalars(select(AuditEntry).where(AuditEntry.action == "event.duplicated"))
    )
    assert [(a.target, a.details["from_slug"], a.actor) for a in actions] == [
        (str(copy_id), original_slug, OWNER)
    ]
    # A second copy takes the next free address.
    await _post_form(
        client, f"/admin/events/{original_id}", f"/admin/events/{original_id}/duplicate"
    )
    slugs = set(await db.scalars(select(Event.slug).where(Event.slug.like(f"{original_slug}%"))))
    assert slugs == {original_slug, f"{original_slug}-copy", f"{original_slug}-copy-2"}


async def test_a_draft_that_never_sold_is_deleted_with_its_abandoned_checkouts(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _, _ = await _event_with_tiers_and_lists(db, settings, published=False)
    db.add(Order(public_id="x" * 22, event_id=event.id, buyer_email="gone@example.com",
                 status=OrderStatus.expired))  # fmt: skip
    await db.commit()
    event_id, slug = event.id, event.slug
    await sign_in(client, db, settings, OWNER)
    edit = await client.get(f"/admin/events/{event_id}")
    assert pages.one(edit.text, "#delete-draft")["href"] == f"/admin/events/{event_id}/delete"

    status, url, _ = await _post_form(
        client, f"/admin/events/{event_id}/delete", f"/admin/events/{event_id}/delete"
    )
    assert status == 200
    assert url.endswith("/admin/?deleted=1")
    db.expire_all()
    assert await db.get(Event, event_id) is None
    assert await db.scalar(select(func.count()).select_from(TicketTier)) == 0
    assert await db.scalar(select(func.count()).select_from(Order)) == 0
    [entry] = list(await db.scalars(select(AuditEntry).where(AuditEntry.action == "event.deleted")))
    assert (entry.target, entry.details["slug"], entry.actor) == (str(event_id), slug, OWNER)
    assert (await client.get(f"/admin/events/{event_id}")).status_code == 404


async def test_an_event_that_sold_is_never_deleted_and_the_page_says_why(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, floor, _ = await _event_with_tiers_and_lists(db, settings)
    await free_order(db, settings, slug=event.slug, tier_id=floor.id, quantity=1)
    event_id = event.id
    await sign_in(client, db, settings, OWNER)
    published = await client.get(f"/admin/events/{event_id}")
    assert not pages.parse(published.text).select("#delete-draft")
    asked = await client.get(f"/admin/events/{event_id}/delete")
    assert pages.text(asked.text, "#delete-refused") == (
        "Only a draft can be deleted: unpublish this event first."
    )
    assert not pages.parse(asked.text).select("#delete-form")
    event.published = False
    await db.commit()
    asked = await client.get(f"/admin/events/{event_id}/delete")
    assert "an event that sold is kept" in pages.text(asked.text, "#delete-refused")
    # A POST anyway (a stale tab) is refused with the reason, and deletes nothing.
    refused = await client.post(
        f"/admin/events/{event_id}/delete",
        data={"_csrf_token": csrf_token((await client.get("/account")).text)},
    )
    assert refused.status_code == 400
    assert pages.texts(refused.text, "#errors li") == [
        "This event has 1 order (sold, or a checkout under way): an event that sold is kept"
        " with its orders. Unpublish it instead."
    ]
    db.expire_all()
    assert await db.get(Event, event_id) is not None
    assert not list(
        await db.scalars(select(AuditEntry).where(AuditEntry.action == "event.deleted"))
    )


async def test_a_door_lead_cannot_copy_or_delete_and_another_organizer_sees_a_404(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _, _ = await _event_with_tiers_and_lists(db, settings, published=False)
    db.add(OrganizerMember(organizer_id=event.organizer_id, email="lead@reef.example",
                           role="door_lead"))  # fmt: skip
    other = await factories.organizer(db, name="Other Venue")
    db.add(OrganizerMember(organizer_id=other.id, email="them@other.example", role="owner"))
    await db.commit()
    event_id = event.id
    for email, expected in (("lead@reef.example", 403), ("them@other.example", 404)):
        client.cookies.clear()
        await sign_in(client, db, settings, email)
        token = csrf_token((await client.get("/account")).text)
        for action in ("duplicate", "delete"):
            sent = await client.post(
                f"/admin/events/{event_id}/{action}", data={"_csrf_token": token}
            )
            assert sent.status_code == expected, (email, action)
        assert (await client.get(f"/admin/events/{event_id}/delete")).status_code == expected
    db.expire_all()
    assert await db.scalar(select(func.count()).select_from(Event)) == 1


async def test_the_calendar_file_keeps_the_events_zone_venue_and_a_stable_uid(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, floor, _ = await _event_with_tiers_and_lists(db, settings)
    event.venue = "Pier 3, Lisbon"
    event.starts_at = datetime(2030, 7, 1, 19, 30, tzinfo=UTC)  # 20:30 in Lisbon (summer time)
    event.ends_at = datetime(2030, 7, 1, 23, 0, tzinfo=UTC)
    await db.commit()
    page = await client.get(f"/e/{event.slug}")
    link = pages.one(page.text, "#add-to-calendar")
    assert (link["href"], pages.shown(link)) == (f"/e/{event.slug}/event.ics", "Add to calendar")

    first = await client.get(str(link["href"]))
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["content-disposition"] == f'attachment; filename="{event.slug}.ics"'
    calendar = icalendar.Calendar.from_ical(first.content)
    [item] = calendar.walk("VEVENT")
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Lisbon"
    start = item.decoded("DTSTART")
    assert (start.hour, start.minute, str(start.tzinfo)) == (20, 30, "Europe/Lisbon")
    assert item["DTSTART"].params["TZID"] == "Europe/Lisbon"
    assert item.decoded("DTEND") == datetime(2030, 7, 2, 0, 0, tzinfo=ZoneInfo("Europe/Lisbon"))
    assert str(item["SUMMARY"]) == "Full Moon"
    assert str(item["LOCATION"]) == "Pier 3, Lisbon"
    assert str(item["URL"]) == f"http://testserver.local/e/{event.slug}"
    assert str(item["STATUS"]) == "CONFIRMED"
    second = icalendar.Calendar.from_ical((await client.get(str(link["href"]))).content)
    assert (
        str(second.walk("VEVENT")[0]["UID"])
        == str(item["UID"])
        == (f"event-{event.id}@testserver.local")
    )

    # Linked from the passes page and the confirmation email too.
    order = await free_order(db, settings, slug=event.slug, tier_id=floor.id, quantity=1)
    passes_page = await client.get(f"/passes/{order.public_id}")
    assert pages.values(passes_page.text, "#pass-links a[data-calendar]", "href") == [
        f"/e/{event.slug}/event.ics"
    ]
    draft = await content.tickets(db, order_id=order.id, settings=settings)
    calendar_url = f"http://testserver.local/e/{event.slug}/event.ics"
    assert pages.values(draft.html, 'a[data-link="calendar"]', "href") == [calendar_url]
    assert calendar_url in draft.text


async def test_a_draft_has_no_calendar_file(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _, _ = await _event_with_tiers_and_lists(db, settings, published=False)
    missing = await client.get(f"/e/{event.slug}/event.ics")
    assert missing.status_code == 404


async def test_a_cancelled_event_stays_in_calendars_as_cancelled_and_its_copy_is_not(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event, _, _ = await _event_with_tiers_and_lists(db, settings)
    event.cancelled_at = datetime.now(UTC)
    await db.commit()
    answer = await client.get(f"/e/{event.slug}/event.ics")
    [item] = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
    assert str(item["STATUS"]) == "CANCELLED"
    copy = await copying.duplicate_event(
        db, event=event, actor=OWNER, secret_key=settings.secret_key
    )
    assert copy.cancelled_at is None
    assert not copy.published
