"""Dashboard events and tiers: owners create, edit and publish; refused forms say why."""

from __future__ import annotations

import base64
import dataclasses
import io
import uuid
from datetime import UTC, datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import AuditEntry, Event, Organizer, OrganizerMember, TicketTier
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.test_dashboard import sign_in, two_organizers

Client = AsyncTestClient[Litestar]

EVENT = {
    "name": "Full Moon Party",
    "slug": "full-moon",
    "venue": "Pier 3",
    "description": "Music by the water.",
    "timezone": "Pacific/Honolulu",
    "starts_at": "2030-06-01T19:30",
    "ends_at": "2030-06-01T23:00",
}
TIER = {"name": "Floor", "price": "25.00", "currency": "USD", "capacity": "100",
        "max_per_order": "6", "sales_start": "", "sales_end": ""}  # fmt: skip


async def _ids(db: AsyncSession) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    """(my event, my tier, their event, their tier) of `two_organizers`."""
    found = []
    for name in ("Low Tide", "Secret Gig"):
        event = await db.scalar(select(Event).where(Event.name == name))
        assert event is not None
        tier = await db.scalar(select(TicketTier).where(TicketTier.event_id == event.id))
        assert tier is not None
        found += [event.id, tier.id]
    return found[0], found[1], found[2], found[3]


async def _post(
    client: Client, form_page: str, action: str, data: dict[str, str]
) -> tuple[int, str]:
    """Open the form page, then submit it the way a browser does; the resulting status and page."""
    page = await client.get(form_page)
    assert page.status_code == 200, page.text
    response = await client.post(action, data={"_csrf_token": csrf_token(page.text), **data})
    return response.status_code, response.text


def _refusals(page: str) -> list[str]:
    """The reasons listed in the form's error box."""
    return pages.texts(page, "#errors li")


async def _audit(db: AsyncSession) -> list[tuple[str, dict[str, object]]]:
    rows = await db.scalars(select(AuditEntry).order_by(AuditEntry.created_at))
    return [(row.action, row.details) for row in rows]


async def test_an_owner_creates_an_event_adds_a_tier_publishes_it_and_buyers_see_it(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    await sign_in(client, db, settings, "staff@reef.example")
    home = await client.get("/admin/")
    assert pages.text(home.text, '[data-organizer] a[href="/admin/events/new"]') == "New event"
    status, created = await _post(client, "/admin/events/new", "/admin/events/new", EVENT)
    assert status == 200
    assert pages.text(created, "h1") == "Full Moon Party"
    assert pages.one(created, "#status")["data-published"] == "false"
    assert pages.text(created, "#status .badge") == "draft"
    event = await db.scalar(select(Event).where(Event.slug == "full-moon"))
    assert event is not None
    # 19:30 in Honolulu (UTC-10) is 05:30 UTC the next day
    assert event.starts_at == datetime(2030, 6, 2, 5, 30, tzinfo=UTC)
    shown_back = pages.one(created, '#event-form input[name="starts_at"]')["value"]
    assert shown_back == "2030-06-01T19:30"  # in the event's zone
    event_id = event.id
    page = f"/admin/events/{event_id}"
    status, added = await _post(client, f"{page}/tiers/new", f"{page}/tiers/new", TIER)
    assert status == 200
    # (tier, price, sold, held, capacity, edit)
    assert [row[:2] for row in pages.rows(added, "#tiers tr[data-tier]")] == [["Floor", "$25.00"]]
    _, published = await _post(client, page, f"{page}/publish", {})
    assert pages.one(published, "#status")["data-published"] == "true"
    public = await client.get("/e/full-moon")
    assert public.status_code == 200
    assert pages.text(public.text, "h1") == "Full Moon Party"
    assert pages.texts(public.text, "li.tier[data-tier] strong") == ["Floor"]
    _, unpublished = await _post(client, page, f"{page}/unpublish", {})
    assert pages.one(unpublished, "#status")["data-published"] == "false"
    async with AsyncTestClient(app=create_app(settings)) as fresh:  # no cached page there
        assert (await fresh.get("/e/full-moon")).status_code == 404
    actions = [action for action, _ in await _audit(db)]
    assert actions[-4:] == ["event.created", "tier.created", "event.published", "event.unpublished"]


async def test_edits_are_saved_with_times_read_in_the_chosen_zone(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    mine, _, _, _ = await _ids(db)
    await sign_in(client, db, settings, "staff@reef.example")
    home = await client.get("/admin/")
    assert pages.text(home.text, f'[data-event] a[href="/admin/events/{mine}"]') == "Edit"
    form = await client.get(f"/admin/events/{mine}")
    assert "Europe/Lisbon" in pages.values(form.text, "datalist#zones option", "value")
    changed = EVENT | {"name": "Low Tide Late", "slug": "low-tide-late",
                       "timezone": "Europe/Lisbon", "starts_at": "2030-01-10T21:00"}  # fmt: skip
    status, saved = await _post(client, f"/admin/events/{mine}", f"/admin/events/{mine}", changed)
    assert status == 200
    assert pages.text(saved, "h1") == "Low Tide Late"
    db.expire_all()
    event = await db.get(Event, mine)
    assert event is not None
    assert (event.slug, event.timezone) == ("low-tide-late", "Europe/Lisbon")
    assert event.starts_at == datetime(2030, 1, 10, 21, 0, tzinfo=UTC)  # Lisbon is UTC in winter


async def test_refused_event_forms_come_back_with_every_reason_and_save_nothing(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    mine, _, theirs, _ = await _ids(db)
    their_event = await db.get(Event, theirs)
    assert their_event is not None
    their_slug = their_event.slug
    await sign_in(client, db, settings, "staff@reef.example")
    cases = [
        ({"ends_at": "2030-06-01T18:00"}, "The event must end after it starts."),
        ({"slug": their_slug}, f"The address /e/{their_slug} is taken"),
        ({"slug": "Not A Slug!"}, "lowercase letters, digits and dashes"),
        ({"timezone": "Mars/Olympus"}, "Pick a time zone from the list"),
        ({"starts_at": "next friday"}, "The start is not a date and time"),
        ({"timezone": "America/New_York", "starts_at": "2030-03-10T02:30"}, "does not exist"),
        ({"name": " "}, "Give the event a name."),
    ]
    for change, reason in cases:
        for path in ("/admin/events/new", f"/admin/events/{mine}"):
            status, refused = await _post(client, path, path, EVENT | change)
            assert status == 400, (change, refused[:300])
            reasons = _refusals(refused)
            assert [r for r in reasons if reason in r], (change, reason, reasons)
    db.expire_all()
    assert await db.scalar(select(Event).where(Event.slug == "full-moon")) is None
    event = await db.get(Event, mine)
    assert event is not None
    assert event.name == "Low Tide"


async def test_refused_tier_forms_say_why_in_the_page(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)  # Low Tide's "Floor" has 2 sold of 50
    mine, floor, _, _ = await _ids(db)
    tier = await db.get(TicketTier, floor)
    assert tier is not None
    tier.held = 3
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    new = f"/admin/events/{mine}/tiers/new"
    edit = f"/admin/events/{mine}/tiers/{floor}"
    backwards = {"sales_start": "2030-05-02T10:00", "sales_end": "2030-05-01T10:00"}
    cases = [
        (new, {"price": "1.00"}, "at least the platform fee of $2.00"),
        (new, {"price": "ten"}, "The price is a number"),
        (new, {"price": "2.505"}, "at most two decimal places"),
        (new, {"price": ""}, "The price is a number"),
        (new, {"capacity": "lots"}, "Capacity must be a whole number."),
        (new, {"capacity": "-1"}, "Capacity must be between 0"),
        (new, {"max_per_order": "0"}, "Tickets per order must be between 1 and 100"),
        (new, {"name": "Floor"}, "already has a tier called “Floor”"),
        (new, backwards, "Sales must end after they start."),
        (edit, {"capacity": "4"}, "below the 5 tickets already taken (2 sold, 3 held"),
        (edit, {"capacity": "1"}, "below the 2 tickets already sold"),
    ]
    for path, change, reason in cases:
        status, refused = await _post(client, path, path, TIER | change)
        assert status == 400, (change, refused[:300])
        reasons = _refusals(refused)
        assert [r for r in reasons if reason in r], (change, reason, reasons)
    db.expire_all()
    tier = await db.get(TicketTier, floor)
    assert tier is not None
    assert (tier.capacity, tier.price_minor) == (50, 0)
    assert len(list(await db.scalars(select(TicketTier.id)))) == 2
    status, free = await _post(client, new, new, TIER | {"name": "Guest list", "price": "0"})
    assert status == 200
    listed = pages.values(free, "#tiers tr[data-tier]", "data-tier")
    assert sorted(listed) == ["Floor", "Guest list"]


async def test_price_and_capacity_changes_are_audited(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    mine, floor, _, _ = await _ids(db)
    await sign_in(client, db, settings, "staff@reef.example")
    edit = f"/admin/events/{mine}/tiers/{floor}"
    form = await client.get(edit)
    assert pages.one(form.text, '#tier-form input[name="capacity"]')["value"] == "50"
    status, saved = await _post(client, edit, edit, TIER | {"price": "30", "capacity": "80"})
    assert status == 200
    # (tier, price, sold, held, capacity, edit)
    assert pages.rows(saved, '#tiers tr[data-tier="Floor"]') == [
        ["Floor", "$30.00", "2", "0", "80", "Edit"]
    ]
    assert (await _audit(db))[-2:] == [
        ("tier.price_changed", {"tier": "Floor", "currency": "USD", "before": 0, "after": 3000}),
        ("tier.capacity_changed", {"tier": "Floor", "before": 50, "after": 80}),
    ]
    organizer = await db.scalar(
        select(AuditEntry.organizer_id).order_by(AuditEntry.created_at.desc())
    )
    mine_org = await db.scalar(select(Organizer.id).where(Organizer.name == "Reef Bar"))
    assert organizer == mine_org


async def test_another_organizers_event_and_tier_are_not_found_even_for_writes(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    mine, _, theirs, their_tier = await _ids(db)
    await sign_in(client, db, settings, "staff@reef.example")
    token = csrf_token((await client.get(f"/admin/events/{mine}")).text)
    gets = [f"/admin/events/{theirs}", f"/admin/events/{theirs}/tiers/new",
            f"/admin/events/{theirs}/tiers/{their_tier}",
            f"/admin/events/{mine}/tiers/{their_tier}"]  # fmt: skip
    for path in gets:
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Secret Gig" not in response.text
    posts = [
        (f"/admin/events/{theirs}", EVENT),
        (f"/admin/events/{theirs}/publish", {}),
        (f"/admin/events/{theirs}/unpublish", {}),
        (f"/admin/events/{theirs}/tiers/new", TIER),
        (f"/admin/events/{theirs}/tiers/{their_tier}", TIER),
        (f"/admin/events/{mine}/tiers/{their_tier}", TIER),
    ]
    for path, data in posts:
        response = await client.post(path, data={"_csrf_token": token, **data})
        assert response.status_code == 404, path
    db.expire_all()
    event = await db.get(Event, theirs)
    tier = await db.get(TicketTier, their_tier)
    assert event is not None
    assert tier is not None
    assert (event.name, event.published, tier.capacity) == ("Secret Gig", True, 50)


async def test_a_door_lead_cannot_create_or_change_events(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    mine, floor, _, _ = await _ids(db)
    org = await db.scalar(select(Organizer).where(Organizer.name == "Reef Bar"))
    assert org is not None
    db.add(OrganizerMember(organizer_id=org.id, email="lead@reef.example", role="door_lead"))
    await db.commit()
    await sign_in(client, db, settings, "lead@reef.example")
    for path in ("/admin/events/new", f"/admin/events/{mine}", f"/admin/events/{mine}/tiers/new"):
        assert (await client.get(path)).status_code == 403, path
    token = csrf_token((await client.get("/account")).text)  # the sign-out form carries one
    for path, data in [
        ("/admin/events/new", EVENT),
        (f"/admin/events/{mine}", EVENT),
        (f"/admin/events/{mine}/unpublish", {}),
        (f"/admin/events/{mine}/tiers/{floor}", TIER | {"capacity": "500"}),
    ]:
        response = await client.post(path, data={"_csrf_token": token, **data})
        assert response.status_code == 403, path
    db.expire_all()
    event = await db.get(Event, mine)
    assert event is not None
    assert event.published
    assert await db.scalar(select(Event).where(Event.slug == "full-moon")) is None


async def test_a_form_without_the_csrf_token_is_refused(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    mine, _, _, _ = await _ids(db)
    await sign_in(client, db, settings, "staff@reef.example")
    response = await client.post(f"/admin/events/{mine}/unpublish")
    assert response.status_code == 403
    event = await db.get(Event, mine)
    assert event is not None
    assert event.published


async def test_the_operator_creates_an_event_for_any_organizer(
    db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    other = await db.scalar(select(Organizer.id).where(Organizer.name == "Other Venue"))
    operator = dataclasses.replace(settings, admin_username="op", admin_password="pw-long-enough")
    basic = {"authorization": "Basic " + base64.b64encode(b"op:pw-long-enough").decode()}
    async with AsyncTestClient(app=create_app(operator)) as client:
        client.headers.update(basic)
        form = await client.get("/admin/events/new")
        offered = pages.texts(form.text, 'select[name="organizer_id"] option')
        assert sorted(offered) == ["Other Venue", "Reef Bar"]
        created = await client.post(
            "/admin/events/new",
            data={"_csrf_token": csrf_token(form.text), "organizer_id": str(other), **EVENT},
        )
    assert created.status_code == 200
    event = await db.scalar(select(Event).where(Event.slug == "full-moon"))
    assert event is not None
    assert event.organizer_id == other


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_an_owner_uploads_the_event_image_from_the_edit_page(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, name="Image Night", org=await factories.organizer(db))
    db.add(OrganizerMember(organizer_id=event.organizer_id, email="o@x.io", role="manager"))
    event_id = event.id
    await db.commit()
    await sign_in(client, db, settings, "o@x.io")
    page = f"/admin/events/{event_id}"
    token = csrf_token((await client.get(page)).text)
    bad = await client.post(f"{page}/image", data={"_csrf_token": token},
                            files={"image": ("x.png", b"not an image", "image/png")})  # fmt: skip
    assert bad.status_code == 400
    assert "not a readable PNG, JPEG or WebP image" in pages.text(bad.text, "#errors")
    good = await client.post(f"{page}/image", data={"_csrf_token": token},
                             files={"image": ("x.png", _png(), "image/png")})  # fmt: skip
    assert good.status_code == 200
    assert str(pages.one(good.text, "#image-form img#current-image")["src"]).startswith("/media/")
    db.expire_all()
    stored = await db.get(Event, event_id)
    assert stored is not None
    assert stored.image_path
    assert (await client.get(f"/media/{stored.image_path}")).status_code == 200
