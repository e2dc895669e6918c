"""What the back office's handlers ask for by name, each resolved once per request on the router
(`api.admin.router`): `who` (the viewer the `signed_in` guard found), and the organizer, event,
tier and order that the path names, each a 404 when it does not exist or the viewer may not see
it, so a handler never looks anything up by id itself."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeAlias

from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter, SkipValidation
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.admin.access import Who, provide_viewer
from api.db import Event, Order, Organizer, TicketTier
from api.web.deps import DB


async def provide_organizer(db: DB, who: Who, organizer_id: FromPath[uuid.UUID]) -> Organizer:
    organizer = await db.get(Organizer, organizer_id)
    if organizer is None or not who.may_see(organizer.id):
        raise NotFoundException(detail="No such organizer.")
    return organizer


async def provide_organizer_in_query(
    db: DB, who: Who, organizer_id: Annotated[uuid.UUID, QueryParameter(name="organizer")]
) -> Organizer:
    """The organizer of `?organizer=`, where Stripe sends the browser back after onboarding."""
    return await provide_organizer(db, who, organizer_id)


async def provide_event(db: DB, who: Who, event_id: FromPath[uuid.UUID]) -> Event:
    event = await db.get(Event, event_id)
    if event is None or not who.may_see(event.organizer_id):
        raise NotFoundException(detail="No such event.")
    return event


async def provide_tier(db: DB, event: ThisEvent, tier_id: FromPath[uuid.UUID]) -> TicketTier:
    tier = await db.get(TicketTier, tier_id)
    if tier is None or tier.event_id != event.id:
        raise NotFoundException(detail="No such tier.")
    return tier


async def provide_order(db: DB, who: Who, public_id: FromPath[str]) -> Order:
    """The order, if this viewer handles its money (owners, managers, the operator): door leads
    and other organizers' staff get a 404, for every page and action on it."""
    order = await db.scalar(
        select(Order).where(Order.public_id == public_id).options(selectinload(Order.event))
    )
    if order is None or not who.may_handle_money(order.event.organizer_id):
        raise NotFoundException(detail="No such order.")
    return order


DEPENDENCIES: dict[str, Any] = {
    "who": Provide(provide_viewer, sync_to_thread=False),
    "organizer": Provide(provide_organizer),
    "event": Provide(provide_event),
    "tier": Provide(provide_tier),
    "order": Provide(provide_order),
}

ThisOrganizer: TypeAlias = NamedDependency[SkipValidation[Organizer]]
ThisEvent: TypeAlias = NamedDependency[SkipValidation[Event]]
ThisTier: TypeAlias = NamedDependency[SkipValidation[TicketTier]]
ThisOrder: TypeAlias = NamedDependency[SkipValidation[Order]]
