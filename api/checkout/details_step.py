"""The details page between the event page and payment (api/checkout/attendees.py says why a
step of its own): when to show it, and what it shows.

The event page's checkout calls `ask_details` once its quantities are read: with nothing to ask,
or a form that the checkout will refuse anyway (no ticket chosen, no usable email: the event
page says so, as before), it returns no page and the checkout goes on. Otherwise the buyer gets the
details page, first blank, then again with a message beside each field that cannot be taken
(422), until the details are right; then `DetailsStep.tickets` go with the order.

A waiting-list offer's claim (api/waiting/pages.py) asks them through the same step, with a
`Target`: the page posts back to the offer's link, links back to it, and does not ask the email
(an offer is for its entry's address).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import attendees
from api.db import Event
from api.mail.addresses import deliverable
from api.web.security import NO_STORE


@dataclass(frozen=True)
class Target:
    """Where the details page posts and links back to, when it is not the event page's checkout."""

    action: str
    back: str
    buyer: str | None = None
    """The email the tickets go to, shown rather than asked (an offer's entry's)."""
    paid: bool | None = None
    """Whether payment follows, when the caller knows better than the tiers' prices (a code
    that makes them free); None: any chosen tier that is not free."""


@dataclass
class DetailsStep:
    page: Template | None = None
    """The details page to answer with; None: go on with the checkout."""
    tickets: list[attendees.Ticket] = field(default_factory=list)
    """The tickets' checked details, to keep with the order."""
    ask: attendees.Asked | None = None
    target: Target | None = None

    def refused(self, event: Event, data: Mapping[str, str], message: str) -> Template | None:
        """The details page again with the checkout's refusal (a bad email, seats gone), so
        what the buyer typed is not lost; None when no details were asked."""
        if self.ask is None or not self.tickets:
            return None
        return _page(event, self.ask, self.tickets, data, errors={}, error=message, status=422,
                     target=self.target)  # fmt: skip


async def ask_details(
    db: AsyncSession,
    *,
    event: Event,
    data: Mapping[str, str],
    quantities: Mapping[uuid.UUID, int],
    ask: attendees.Asked | None = None,
    target: Target | None = None,
    paid: bool | None = None,
) -> DetailsStep:
    """`ask`: what the event asks, when the caller read it already (the event's snapshot);
    `target`: where the page posts, when not the event page's checkout; `paid`: whether
    payment follows, when the caller knows better than the tiers' prices (`Target.paid`)."""
    if paid is not None:
        target = dataclasses.replace(target or _checkout(event), paid=paid)
    wanted = [(tier, quantities.get(tier.id, 0)) for tier in event.tiers]
    wanted = [(tier, quantity) for tier, quantity in wanted if quantity > 0]
    if not wanted or not deliverable(data.get("email", "").strip().lower()):
        return DetailsStep()
    if ask is None:
        ask = await attendees.asked(db, event=event)
    if ask.names == "off" and not any(ask.for_tier(tier.id) for tier, _ in wanted):
        return DetailsStep()  # nothing asked of the tickets chosen
    if data.get(attendees.DETAILS_SENT) != "1":
        tickets = attendees.blank(ask, wanted)
        values = dict(data)
        if ask.names != "off" and tickets:  # the buyer's own name for the first ticket
            values.setdefault(tickets[0].field_name("name"), data.get("name", "").strip())
        page = _page(event, ask, tickets, values, errors={}, status=200, target=target)
        return DetailsStep(page=page)
    details = attendees.read(ask, wanted, data)
    if details.errors:
        page = _page(event, ask, details.tickets, data, errors=details.errors, status=422,
                     target=target)  # fmt: skip
        return DetailsStep(page=page)
    return DetailsStep(tickets=details.tickets, ask=ask, target=target)


def _checkout(event: Event) -> Target:
    """The event page's own checkout: the details page posts there and links back to it."""
    return Target(action=f"/e/{event.slug}/checkout", back=f"/e/{event.slug}")


def _labels(ask: attendees.Asked, tickets: Sequence[attendees.Ticket]) -> dict[str, str]:
    """Each field's name in the error summary ("VIP ticket 2: Attendee name")."""
    labels: dict[str, str] = {}
    for ticket in tickets:
        where = f"{ticket.tier_name} ticket {ticket.seat}"
        labels[ticket.field_name("name")] = f"{where}, attendee name"
        for question in ticket.questions:
            labels[ticket.field_name(question.id)] = f"{where}, {question.label}"
    return labels


def _page(
    event: Event,
    ask: attendees.Asked,
    tickets: Sequence[attendees.Ticket],
    values: Mapping[str, str],
    *,
    errors: Mapping[str, str],
    status: int,
    error: str | None = None,
    target: Target | None = None,
) -> Template:
    chosen = {ticket.tier_id for ticket in tickets}
    paid = any(not tier.is_free for tier in event.tiers if tier.id in chosen)
    if target is not None and target.paid is not None:
        paid = target.paid
    return Template(
        template_name="checkout_details.html",
        context={
            "event": event,
            "names": ask.names,
            "tickets": tickets,
            "values": values,
            "errors": errors,
            "error": error,
            "labels": _labels(ask, tickets),
            "hidden": attendees.carried(values),
            "paid": paid,
            "action": (target or _checkout(event)).action,
            "back": (target or _checkout(event)).back,
            "buyer": target.buyer if target else None,
        },
        status_code=status,
        headers=NO_STORE,
    )
