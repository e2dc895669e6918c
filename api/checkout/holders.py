"""Who holds each ticket, as the pages that show it read it: the buyer's passes page (the name on
each pass), the dashboard's order page (names and answers), the CSV exports and the door's
guest list (`holder_name`, the attendee's name, else the buyer's).

The rules of asking and keeping the details are api/checkout/attendees.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout.attendees import TICKED, questions
from api.db import Attendee, AttendeeQuestion, Order, Pass, TicketTier
from api.passes.tokens import pass_key_text


def holder_name() -> ColumnElement[str]:
    """The name a pass is held under, in a query joining `Order` and outer-joining `Attendee`
    on `Attendee.pass_id == Pass.id`: the attendee's name when one was given, else the buyer's."""
    return func.coalesce(func.nullif(Attendee.name, ""), Order.buyer_name)


def answer_text(question: AttendeeQuestion, answers: dict[str, str]) -> str:
    """An answer as a person reads it ("" when none was given)."""
    value = answers.get(str(question.id), "")
    if question.kind == "checkbox":
        return "Yes" if value == TICKED else "No"
    return value


@dataclass(frozen=True)
class Holder:
    """One ticket of an order with its details, for the order page."""

    tier: str
    seat: int
    pass_id: str | None
    """The pass's code, once issued."""
    name: str
    answers: list[tuple[str, str]]
    """(question, answer) for each question its tier is asked, in order."""


async def order_holders(session: AsyncSession, *, order: Order) -> list[Holder]:
    """The order's tickets' details, in tier and seat order (empty when none were asked)."""
    rows = (
        await session.execute(
            select(Attendee, TicketTier.name, Pass.pass_key)
            .join(TicketTier, TicketTier.id == Attendee.tier_id)
            .outerjoin(Pass, Pass.id == Attendee.pass_id)
            .where(Attendee.order_id == order.id)
            .order_by(TicketTier.position, TicketTier.name, Attendee.seat)
        )
    ).all()
    if not rows:
        return []
    asked = await questions(session, event_id=order.event_id)
    return [
        Holder(
            tier=tier_name, seat=attendee.seat,
            pass_id=pass_key_text(key) if key is not None else None, name=attendee.name,
            answers=[
                (q.label, answer_text(q, attendee.answers))
                for q in asked if q.asked_for(attendee.tier_id)
            ],
        )
        for attendee, tier_name, key in rows
    ]  # fmt: skip
