"""A buyer hands one ticket to someone else (the old code stops admitting, a new one is issued),
or renames it (the same code, another holder's name).

One transaction, under the old order's row lock (so two transfers of one pass cannot both
happen): the old pass is voided through `api.passes.services.set_status` with reason
`transferred` (a pass change the door pulls at its next sync, shown with the void wording of
api/passes/void_wording.json), and a new pass of the same tier is issued by the one issuing
statement (`api.passes.services.issue`) into a new order of the new holder: their own
`/passes/{public_id}` link, wallet and `/account`. The seat never goes back on sale: it stays
sold, to someone else, so the tier's counts do not move. The new order carries no money
(`total_minor` 0, `source` "transfer"): what was paid stays on the original order, where a
refund finds it (api/passes/lineage.py).

Both people hear of it through the outbox: the new holder gets their pass (`pass_transferred`),
the old one a notice that the code no longer admits (`transfer_notice`). The transfer is
audited in the organizer's log and recorded as a `PassTransfer`.

A rename keeps the pass and changes the name it is held under: its `Attendee` row (the one
api/checkout/attendees.py writes when the event asks names), made for it when there was none.
The passes page, the order page, the exports and the door's guest search read it from there
(api/checkout/holders.py). It is allowed when and until transfers are, and audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.checkout import fulfilment, self_service
from api.db import (
    Attendee,
    Event,
    Order,
    OrderStatus,
    OutboxMessage,
    Pass,
    PassStatus,
    PassTransfer,
)
from api.errors import Invalid, NotFound, Refused
from api.mail.addresses import deliverable, header_text
from api.mail.transfers import PASS_TRANSFERRED, TRANSFER_NOTICE
from api.passes import services as passes
from api.passes.tokens import pass_key_text

SOURCE = "transfer"
"""`Order.source` of the new holder's order (the exports show it)."""
TRANSFERRED = "transferred"
"""The void reason (and door reason code) of a pass handed to someone else."""


@dataclass(frozen=True)
class Transferred:
    code: str
    """The voided pass's code."""
    to_email: str
    new_order_public_id: str


def read_recipient(*, email: str, name: str) -> tuple[str, str]:
    """The new holder's address (lowercased, one the mailer sends to) and name."""
    address = email.strip().lower()
    if not deliverable(address):
        raise Invalid("Enter the email address of the person the ticket goes to.")
    return address, header_text(name, limit=200)


async def _valid_pass(
    db: AsyncSession, *, order: Order, code: str, now: datetime, what: str
) -> tuple[Event, Order, Pass]:
    """The event, the order locked, and its valid pass `code`, if the event's rules allow
    `what` now; the order's row lock keeps two changes of one pass apart."""
    event = await db.get_one(Event, order.event_id)
    rules = await self_service.policy(db, event_id=event.id)
    until = self_service.deadline(event, rules.transfer_hours) if rules.transfers else None
    self_service.refuse_after(until, now, what=what, event=event)
    locked = await fulfilment.locked_order(db, order_id=order.id)
    assert locked is not None
    if locked.status not in self_service.ACTIVE:
        raise Refused(f"An order that is {locked.status.replace('_', ' ')} cannot be changed.")
    items = {pass_key_text(p.pass_key): p for p in await passes.order_passes(db, order_id=order.id)}
    item = items.get(code)
    if item is None:
        raise NotFound("This order has no such pass.")
    await db.refresh(item)  # under the order's lock: as committed, not as first read
    if item.status != PassStatus.valid:
        raise Refused(f"Pass {code} is void: it cannot be changed.")
    return event, locked, item


async def rename_pass(
    db: AsyncSession, *, order: Order, code: str, name: str, now: datetime, actor: str
) -> str:
    """Hold the pass `code` of `order` under `name` (commits); returns the name kept."""
    holder = header_text(name, limit=200)
    if not holder:
        raise Invalid("Enter the name the ticket is for.")
    event, locked, item = await _valid_pass(
        db, order=order, code=code, now=now, what="name changes"
    )
    attendee = await db.scalar(select(Attendee).where(Attendee.pass_id == item.id))
    if attendee is None:
        seats = select(func.coalesce(func.max(Attendee.seat), 0)).where(
            Attendee.order_id == locked.id, Attendee.tier_id == item.tier_id
        )
        attendee = Attendee(
            order_id=locked.id, tier_id=item.tier_id, seat=(await db.scalar(seats) or 0) + 1,
            pass_id=item.id, answers={},
        )  # fmt: skip
        db.add(attendee)
    before = attendee.name or locked.buyer_name
    attendee.name = holder
    audit.record(
        db, organizer_id=event.organizer_id, actor=actor, action="pass.renamed",
        target=str(locked.id), details={"pass": code, "from": before, "to": holder},
    )  # fmt: skip
    await db.commit()
    return holder


async def transfer_pass(
    db: AsyncSession, *, order: Order, code: str, email: str, name: str, secret_key: str,
    now: datetime, actor: str,
) -> Transferred:  # fmt: skip
    """Transfer the pass `code` of `order` to `email` (with `name`); commits."""
    to_email, to_name = read_recipient(email=email, name=name)
    event, locked, old = await _valid_pass(
        db, order=order, code=code, now=now, what="ticket transfers"
    )
    if not to_name and event.attendee_names == "required":
        raise Invalid(f"{event.name} needs the name of each ticket's holder: enter theirs.")
    if to_email == locked.buyer_email:
        raise Invalid("That is your own address: enter the new holder's.")
    received = Order(
        public_id=secrets.token_urlsafe(16), event_id=event.id, buyer_email=to_email,
        buyer_name=to_name, status=OrderStatus.paid, currency=locked.currency, total_minor=0,
        fee_minor=0, paid_at=now, source=SOURCE,
    )  # fmt: skip
    db.add(received)
    await db.flush()
    await passes.set_status(db, passes=[old], status=PassStatus.void, reason=TRANSFERRED)
    (new_id,) = await passes.issue(
        db, order=received, lines=[(old.tier_id, 1)], secret_key=secret_key, confirm=False
    )
    if to_name:  # the name the ticket is held under, as a checkout that asks names keeps it
        db.add(
            Attendee(order_id=received.id, tier_id=old.tier_id, seat=1, pass_id=new_id,
                     name=to_name, answers={})
        )  # fmt: skip
    db.add(
        PassTransfer(
            event_id=event.id, from_pass_id=old.id, to_pass_id=new_id, from_order_id=locked.id,
            to_order_id=received.id, from_email=locked.buyer_email, to_email=to_email,
        )
    )  # fmt: skip
    db.add_all(
        [
            OutboxMessage(
                kind=PASS_TRANSFERRED, available_at=now,
                payload={"order_id": str(received.id), "from_email": locked.buyer_email},
            ),
            OutboxMessage(
                kind=TRANSFER_NOTICE, available_at=now,
                payload={"order_id": str(locked.id), "pass": code, "to_email": to_email},
            ),
        ]
    )  # fmt: skip
    audit.record(
        db, organizer_id=event.organizer_id, actor=actor, action="pass.transferred",
        target=str(locked.id),
        details={"pass": code, "to_email": to_email, "to_order": str(received.id)},
    )  # fmt: skip
    public_id = received.public_id
    await db.commit()
    return Transferred(code=code, to_email=to_email, new_order_public_id=public_id)
