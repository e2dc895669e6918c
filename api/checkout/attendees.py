"""Attendee details at checkout: a name per ticket and the event's own questions, asked before
the buyer pays, kept per ticket and tied to the pass when it is issued.

Why a step of its own, after the event page and before Stripe Checkout (the way pretix's
"questions" step and Hi.Events' checkout details page do it): the number of tickets is chosen on
the event page, and a form per ticket cannot appear there without JavaScript. So when the event
asks anything, the event page's checkout answers with the details page (a form per ticket: the
name and the questions its tier asks, the buyer's email and name again, the choices of the event
page carried as hidden fields), and that page posts back to the same checkout with `details=1`.
The answers are checked here, field by field, and only then is the order placed (free) or the
Checkout Session opened (paid). No seat is held while the buyer types: capacity is decided when
the details are sent, as for any checkout.

The answers are written right after the order's statement (api/checkout/placement.py), one
`Attendee` per ticket (`tier_id`, `seat`); a free order's passes exist then and are tied at
once, a paid order's when the payment issues them (`link_passes`, from fulfilment).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Attendee, AttendeeQuestion, Event, TicketTier

NAME_SETTINGS = ("off", "optional", "required")
KINDS = ("text", "choice", "checkbox")
NAME_MAX = 200
ANSWER_MAX = 500
TICKED = "yes"
DETAILS_SENT = "details"
"""The form field that says the details page was filled in (its value is "1")."""
PREFIX = "a-"
"""Every field of the details page that belongs to a ticket starts with this."""
_BAD = {chr(c) for c in range(32)} | {"\x7f"}


@dataclass(frozen=True)
class Question:
    """One question, as plain values (the checkout's session is rolled back before placing)."""

    id: uuid.UUID
    label: str
    kind: str
    options: tuple[str, ...]
    required: bool
    tier_ids: frozenset[uuid.UUID] | None

    def asked_for(self, tier_id: uuid.UUID) -> bool:
        return self.tier_ids is None or tier_id in self.tier_ids

    @classmethod
    def of(cls, row: AttendeeQuestion) -> Question:
        tiers = None if row.tier_ids is None else frozenset(row.tier_ids)
        return cls(row.id, row.label, row.kind, tuple(row.options), row.required, tiers)


@dataclass(frozen=True)
class Asked:
    """What an event asks per ticket."""

    names: str
    questions: tuple[Question, ...]

    @property
    def anything(self) -> bool:
        return self.names != "off" or bool(self.questions)

    def for_tier(self, tier_id: uuid.UUID) -> list[Question]:
        return [q for q in self.questions if q.asked_for(tier_id)]


async def questions(session: AsyncSession, *, event_id: uuid.UUID) -> list[AttendeeQuestion]:
    """The event's questions in the order they are asked."""
    rows = await session.scalars(
        select(AttendeeQuestion)
        .where(AttendeeQuestion.event_id == event_id)
        .order_by(AttendeeQuestion.position, AttendeeQuestion.created_at)
    )
    return list(rows)


async def asked(session: AsyncSession, *, event: Event) -> Asked:
    """What `event` asks. Ends the read's transaction, so that the order's statement that
    follows runs in autocommit as it does for every checkout (api/checkout/placement.py)."""
    ask = await read_asked(session, event=event)
    await session.rollback()
    return ask


async def read_asked(session: AsyncSession, *, event: Event) -> Asked:
    """What `event` asks, read in the session's transaction (the event page's snapshot)."""
    asked = tuple(Question.of(q) for q in await questions(session, event_id=event.id))
    return Asked(names=event.attendee_names, questions=asked)


@dataclass
class Ticket:
    """One ticket's details as typed: its fields are named `a-<tier>-<seat>-name` and
    `a-<tier>-<seat>-<question id>`."""

    tier_id: uuid.UUID
    tier_name: str
    seat: int
    questions: list[Question]
    name: str = ""
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.tier_id}-{self.seat}-"

    def field_name(self, what: str | uuid.UUID) -> str:
        return f"{self.prefix}{what}"


@dataclass
class Details:
    tickets: list[Ticket]
    errors: dict[str, str]
    """Field name → what is wrong with it, in words for the buyer."""


def blank(ask: Asked, wanted: Sequence[tuple[TicketTier, int]]) -> list[Ticket]:
    """The tickets of the order, in the event's tier order, with nothing typed yet."""
    return [
        Ticket(tier.id, tier.name, seat, ask.for_tier(tier.id))
        for tier, quantity in wanted
        for seat in range(1, quantity + 1)
    ]


def read(ask: Asked, wanted: Sequence[tuple[TicketTier, int]], data: Mapping[str, str]) -> Details:
    """The details page's fields, checked: every ticket's name and answers, and what is wrong
    with each field that cannot be taken."""
    tickets = blank(ask, wanted)
    errors: dict[str, str] = {}
    for ticket in tickets:
        if ask.names != "off":
            key = ticket.field_name("name")
            ticket.name = " ".join(data.get(key, "").split())
            if problem := _text_problem(ticket.name, NAME_MAX, "The name"):
                errors[key] = problem
            elif ask.names == "required" and not ticket.name:
                errors[key] = "Enter the name of the person this ticket is for."
        for question in ticket.questions:
            key = ticket.field_name(question.id)
            value, problem = _answer(question, data.get(key, ""))
            if problem:
                errors[key] = problem
            elif value:
                ticket.answers[str(question.id)] = value
    return Details(tickets=tickets, errors=errors)


def _text_problem(value: str, limit: int, what: str) -> str | None:
    if len(value) > limit:
        return f"{what} is too long: at most {limit} characters."
    if any(ch in _BAD for ch in value):
        return f"{what} contains characters we cannot use."
    return None


def _answer(question: Question, raw: str) -> tuple[str, str | None]:
    """The answer to keep ("" for none) and what is wrong with it, if anything."""
    if question.kind == "checkbox":
        if raw not in ("", TICKED):
            return "", "Tick the box or leave it empty."
        if question.required and raw != TICKED:
            return "", "Tick this box to continue."
        return raw, None
    if question.kind == "choice":
        if raw and raw not in question.options:
            return "", "Choose one of the answers listed."
        if question.required and not raw:
            return "", "Choose an answer."
        return raw, None
    value = raw.strip()
    if problem := _text_problem(value.replace("\n", " ").replace("\r", " "), ANSWER_MAX,
                                "The answer"):  # fmt: skip
        return "", problem
    if question.required and not value:
        return "", "Answer this question."
    return value, None


def carried(data: Mapping[str, str], *, csrf_field: str = "_csrf_token") -> dict[str, str]:
    """What the event page sent, to carry through the details page as hidden fields (the
    quantities, the partner site, a code…): everything but the fields the details page shows
    itself."""
    shown = {"email", "name", DETAILS_SENT, csrf_field}
    return {k: v for k, v in data.items() if k not in shown and not k.startswith(PREFIX)}


async def add_details(
    session: AsyncSession, *, order_id: uuid.UUID, tickets: Sequence[Ticket]
) -> None:
    """Keep the order's tickets' details and tie those whose passes are issued already (a free
    order), in the caller's transaction: the order's (`placement.place(details=…)`)."""
    for ticket in tickets:
        session.add(
            Attendee(
                order_id=order_id, tier_id=ticket.tier_id, seat=ticket.seat, name=ticket.name,
                answers=dict(ticket.answers),
            )
        )  # fmt: skip
    await session.flush()
    await link_passes(session, order_id=order_id)


_LINK = text(
    """
    UPDATE attendee AS a SET pass_id = p.id
    FROM (
        SELECT id, tier_id, row_number() OVER (PARTITION BY tier_id ORDER BY change_seq) AS seat
        FROM pass WHERE order_id = :order_id
    ) AS p
    WHERE a.order_id = :order_id AND a.pass_id IS NULL
      AND a.tier_id = p.tier_id AND a.seat = p.seat
      AND NOT EXISTS (SELECT FROM attendee AS t WHERE t.pass_id = p.id)
    """
)


async def link_passes(session: AsyncSession, *, order_id: uuid.UUID) -> None:
    """Tie each of the order's tickets to its pass: the n-th pass of a tier (in issue order)
    is that tier's seat n. Idempotent; in the caller's transaction."""
    await session.execute(_LINK, {"order_id": order_id})
