"""The organizer's side of attendee details: whether each ticket's name is asked, and the event's
questions (added, changed, moved, deleted). Each change is audited. The buyer's side (asking,
checking, keeping the answers) is api/checkout/attendees.py.

A question deleted after buyers answered it takes nothing from the kept answers (they stay in
each ticket's row) but is no longer shown or exported; the page says so beside the button.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.checkout.attendees import KINDS, NAME_SETTINGS, questions
from api.db import AttendeeQuestion, Event, TicketTier
from api.errors import Invalid, NotFound

LABEL_MAX = 200
OPTION_MAX = 100
OPTIONS_MAX = 50
_BAD = {chr(c) for c in range(32)} | {"\x7f"}


@dataclass(frozen=True)
class QuestionFields:
    label: str
    kind: str
    options: list[str]
    required: bool
    tier_ids: list[uuid.UUID] | None
    """None: every tier."""


def read_question(
    data: Mapping[str, str | list[str]], *, tiers: Sequence[TicketTier]
) -> QuestionFields:
    """The question form: `label`, `kind`, `options` (one per line, for a choice), `required`,
    `asked_for` ("every" or "chosen") with the ticked `tier` ids. Raises Invalid with every
    reason."""
    text = {key: value for key, value in data.items() if isinstance(value, str)}
    problems: list[str] = []
    label = " ".join(text.get("label", "").split())
    if not label:
        problems.append("Write the question.")
    elif len(label) > LABEL_MAX or any(ch in _BAD for ch in label):
        problems.append(f"The question must be at most {LABEL_MAX} characters of plain text.")
    kind = text.get("kind", "")
    if kind not in KINDS:
        problems.append("Choose the kind of answer: text, a choice or a checkbox.")
    options: list[str] = []
    if kind == "choice":
        for line in text.get("options", "").splitlines():
            option = " ".join(line.split())
            if option and option not in options:
                options.append(option)
        if len(options) < 2:
            problems.append("A choice needs at least two answers, one per line.")
        elif len(options) > OPTIONS_MAX or any(len(o) > OPTION_MAX for o in options):
            problems.append(
                f"A choice offers at most {OPTIONS_MAX} answers of {OPTION_MAX} characters each."
            )
    tier_ids: list[uuid.UUID] | None = None
    if text.get("asked_for") == "chosen":
        known = {str(tier.id): tier.id for tier in tiers}
        ticked = data.get("tier", [])
        chosen = [ticked] if isinstance(ticked, str) else list(ticked)
        if any(raw not in known for raw in chosen):
            problems.append("A tier chosen for this question is not one of this event's.")
        tier_ids = [known[raw] for raw in chosen if raw in known]
        if not tier_ids and not chosen:
            problems.append("Tick the tiers this question is asked for, or choose every tier.")
    if problems:
        raise Invalid(*problems)
    return QuestionFields(label, kind, options, text.get("required") == "yes", tier_ids)


async def set_names(session: AsyncSession, *, event: Event, names: str, actor: str) -> None:
    if names not in NAME_SETTINGS:
        raise Invalid("Choose whether the attendee's name is off, optional or required.")
    if event.attendee_names != names:
        event.attendee_names = names
        audit.record(
            session, organizer_id=event.organizer_id, actor=actor,
            action="event.attendee_names", target=str(event.id), details={"names": names},
        )  # fmt: skip
    await session.commit()


async def one(session: AsyncSession, *, event: Event, question_id: uuid.UUID) -> AttendeeQuestion:
    question = await session.get(AttendeeQuestion, question_id)
    if question is None or question.event_id != event.id:
        raise NotFound("No such question.")
    return question


async def save_question(
    session: AsyncSession, *, event: Event, fields: QuestionFields, actor: str,
    question_id: uuid.UUID | None = None,
) -> AttendeeQuestion:  # fmt: skip
    """Add a question (last) or change one."""
    if question_id is None:
        last = await session.scalar(
            select(func.max(AttendeeQuestion.position)).where(AttendeeQuestion.event_id == event.id)
        )
        question = AttendeeQuestion(event_id=event.id, position=(last or 0) + 1)
        session.add(question)
    else:
        question = await one(session, event=event, question_id=question_id)
    question.label, question.kind, question.options = fields.label, fields.kind, fields.options
    question.required, question.tier_ids = fields.required, fields.tier_ids
    await session.flush()
    audit.record(
        session, organizer_id=event.organizer_id, actor=actor,
        action="event.question_added" if question_id is None else "event.question_changed",
        target=str(question.id), details={"event": str(event.id), "label": fields.label},
    )  # fmt: skip
    await session.commit()
    return question


async def delete_question(
    session: AsyncSession, *, event: Event, question_id: uuid.UUID, actor: str
) -> None:
    question = await one(session, event=event, question_id=question_id)
    await session.delete(question)
    audit.record(
        session, organizer_id=event.organizer_id, actor=actor, action="event.question_deleted",
        target=str(question_id), details={"event": str(event.id), "label": question.label},
    )  # fmt: skip
    await session.commit()


async def move_question(
    session: AsyncSession, *, event: Event, question_id: uuid.UUID, up: bool
) -> None:
    """Swap the question with the one before (`up`) or after it; renumbers the event's
    questions 1..n on the way, so equal positions of old rows sort out."""
    ordered = await questions(session, event_id=event.id)
    at = next((i for i, q in enumerate(ordered) if q.id == question_id), None)
    if at is None:
        raise NotFound("No such question.")
    other = at - 1 if up else at + 1
    if 0 <= other < len(ordered):
        ordered[at], ordered[other] = ordered[other], ordered[at]
    for position, question in enumerate(ordered, start=1):
        question.position = position
    await session.commit()


async def copy_questions(
    session: AsyncSession, *, from_event_id: uuid.UUID, to_event_id: uuid.UUID,
    tier_map: Mapping[uuid.UUID, uuid.UUID],
) -> None:  # fmt: skip
    """The questions of one event asked by another (a duplicated event), each for the copy's
    tiers that `tier_map` gives for the original's (api/events/copying.py)."""
    for question in await questions(session, event_id=from_event_id):
        tiers = question.tier_ids
        session.add(
            AttendeeQuestion(
                event_id=to_event_id, position=question.position, label=question.label,
                kind=question.kind, options=list(question.options), required=question.required,
                tier_ids=None if tiers is None else [tier_map[t] for t in tiers if t in tier_map],
            )
        )  # fmt: skip
