"""The organizer's attendee details page: the name setting, questions added, refused with every
reason, changed, moved and deleted, each audited; a door lead may not change them."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AttendeeQuestion, AuditEntry, OrganizerMember, TicketTier
from api.events import copying
from api.settings import Settings
from tests import factories
from tests.forms import csrf_token
from tests.pages import rows, text, values
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]


async def _event(db: AsyncSession, role: str = "owner") -> tuple[str, list[str]]:
    organizer = await factories.organizer(db)
    db.add(OrganizerMember(organizer_id=organizer.id, email="staff@reef.example", role=role))
    event = await factories.event(db, org=organizer)
    floor = await factories.tier(db, event=event, name="Floor")
    crew = await factories.tier(db, event=event, name="Crew")
    crew.position = 1
    ids = str(event.id), [str(floor.id), str(crew.id)]
    await db.commit()
    return ids


async def _post(client: Client, path: str, data: dict[str, str | list[str]]) -> tuple[int, str]:
    """Send a form of the attendee details page (its CSRF token read from the page)."""
    page = re.sub(r"(/attendee-details).*", r"\1", path)
    token = csrf_token((await client.get(page)).text)
    response = await client.post(path, data={"_csrf_token": token, **data})
    return response.status_code, response.text


async def test_an_owner_sets_names_and_adds_changes_moves_and_deletes_questions(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event_id, (floor, crew) = await _event(db)
    await sign_in(client, db, settings, "staff@reef.example")
    page = f"/admin/events/{event_id}/attendee-details"
    edit_page = await client.get(f"/admin/events/{event_id}")
    assert values(edit_page.text, "#attendee-details-link", "href") == [page]

    status, body = await _post(client, f"{page}/names", {"names": "required"})
    assert status == 200  # followed to the page
    assert values(body, '#names-form input[name="names"][checked]', "value") == ["required"]

    await _post(client, page, {"label": "Diet", "kind": "text", "required": "yes",
                               "asked_for": "every"})  # fmt: skip
    await _post(client, page, {"label": "T-shirt size", "kind": "choice",
                               "options": "S\nM\n\nL\nM", "asked_for": "chosen",
                               "tier": crew})  # fmt: skip
    status, body = await _post(client, page, {"label": "Photos are fine", "kind": "checkbox",
                                              "asked_for": "every"})  # fmt: skip
    assert rows(body, "#questions tbody tr") == [
        ["Diet", "Text", "Every tier", "yes", "Change Down Delete"],
        ["T-shirt size S · M · L", "Choice", "Crew", "no", "Change Up Down Delete"],
        ["Photos are fine", "Checkbox", "Every tier", "no", "Change Up Delete"],
    ]

    # A choice with one answer and tiers of no kind: every reason at once, nothing saved.
    refused = await client.post(page, data={
        "_csrf_token": csrf_token(body), "label": "", "kind": "choice", "options": "Only",
        "asked_for": "chosen",
    })  # fmt: skip
    assert refused.status_code == 400
    assert text(refused.text, "#errors") == (
        "This could not be saved: Write the question. A choice needs at least two answers, one"
        " per line. Tick the tiers this question is asked for, or choose every tier."
    )

    shirt = await db.scalar(
        select(AttendeeQuestion).where(AttendeeQuestion.label == "T-shirt size")
    )
    assert shirt is not None
    await _post(client, f"{page}/{shirt.id}", {"label": "Shirt size", "kind": "choice",
                                               "options": "S\nM\nL\nXL", "asked_for": "every",
                                               "required": "yes"})  # fmt: skip
    await _post(client, f"{page}/{shirt.id}/move", {"direction": "up"})
    photos = await db.scalar(
        select(AttendeeQuestion).where(AttendeeQuestion.label == "Photos are fine")
    )
    assert photos is not None
    status, body = await _post(client, f"{page}/{photos.id}/delete", {})

    assert values(body, "#questions tbody tr", "data-question") == ["Shirt size", "Diet"]
    assert rows(body, "#questions tbody tr")[0][:4] == [
        "Shirt size S · M · L · XL", "Choice", "Every tier", "yes",
    ]  # fmt: skip
    actions = list(
        await db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.like("event.%"))
            .order_by(AuditEntry.created_at)
        )
    )
    assert actions == [
        "event.attendee_names", "event.question_added", "event.question_added",
        "event.question_added", "event.question_changed", "event.question_deleted",
    ]  # fmt: skip
    _ = floor


async def test_a_door_lead_cannot_change_the_questions(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event_id, _ = await _event(db, role="door_lead")
    await sign_in(client, db, settings, "staff@reef.example")

    page = await client.get(f"/admin/events/{event_id}/attendee-details")

    assert page.status_code == 403


async def test_a_duplicated_event_asks_the_same_questions_of_its_own_tiers(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db, secret_key=settings.secret_key)
    event.attendee_names = "optional"
    floor = await factories.tier(db, event=event, name="Floor")
    crew = await factories.tier(db, event=event, name="Crew")
    for position, (label, tiers) in enumerate((("Diet", None), ("Shirt", [crew.id])), start=1):
        db.add(AttendeeQuestion(event_id=event.id, label=label, kind="text", position=position,
                                tier_ids=tiers, required=True))  # fmt: skip
    await db.commit()
    _ = floor

    copy = await copying.duplicate_event(
        db, event=event, actor="test", secret_key=settings.secret_key
    )

    asked = list(
        await db.execute(
            select(AttendeeQuestion.label, AttendeeQuestion.tier_ids, AttendeeQuestion.required)
            .where(AttendeeQuestion.event_id == copy.id)
            .order_by(AttendeeQuestion.position)
        )
    )
    copy_crew = await db.scalar(
        select(TicketTier.id).where(TicketTier.event_id == copy.id, TicketTier.name == "Crew")
    )
    assert [tuple(row) for row in asked] == [("Diet", None, True), ("Shirt", [copy_crew], True)]
    assert copy.attendee_names == "optional"


async def test_another_events_question_is_a_404_and_a_forged_setting_a_400(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    event_id, _ = await _event(db)
    other = await factories.event(db)
    theirs = AttendeeQuestion(event_id=other.id, label="Secret", kind="text", position=1)
    db.add(theirs)
    await db.flush()
    question = f"/admin/events/{event_id}/attendee-details/{theirs.id}"
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    page = f"/admin/events/{event_id}/attendee-details"

    for path in (question, f"{question}/delete", f"{question}/move"):
        status, _ = await _post(client, path, {"label": "Mine", "kind": "text"})
        assert status == 404, path
    assert (await client.get(question)).status_code == 404
    status, body = await _post(client, f"{page}/names", {"names": "always"})

    assert status == 400
    assert text(body, "#errors") == (
        "This could not be saved: Choose whether the attendee's name is off, optional or required."
    )
    await db.refresh(theirs)
    assert theirs.label == "Secret"
