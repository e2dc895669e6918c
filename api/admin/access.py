"""Who may see which organizer in /admin: staff signed in by magic link see their organizers;
the platform operator (signed in at /admin/sign-in, or HTTP Basic from a script) sees every
organizer.

The back office's router (`api.admin.router`) runs `signed_in` before every handler: it finds the
viewer once and keeps it for the handlers' `who` dependency. Controllers then declare what more
they need as guards: `owners_only`, `money_handlers`, `operator_only`. A guard answers 404 for an
organizer or event the viewer may not see, before any 403 for one they may see but not change,
so ids never tell whether something exists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeAlias

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import SkipValidation
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts import sessions
from api.admin.auth import operator_guard, operator_session
from api.db import Event, Organizer, OrganizerMember, Role
from api.web.errors import http_exception_handler

Connection: TypeAlias = ASGIConnection[Any, Any, Any, Any]


class NotSignedIn(NotAuthorizedException):
    """No staff session and no operator credentials."""


def to_login(request: Request[Any, Any, Any], exc: NotSignedIn) -> Response[Any]:
    """A person opening a dashboard page is sent to the staff and operator sign-in page;
    anything else gets the 401."""
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        return Redirect(path="/admin/sign-in", status_code=303)
    return http_exception_handler(request, exc)


SIGN_IN_FIRST: Any = {NotSignedIn: to_login}


@dataclass(frozen=True)
class Viewer:
    who: str
    organizer_ids: frozenset[uuid.UUID] | None
    """None means every organizer (the platform operator)."""
    money_ids: frozenset[uuid.UUID] | None = None
    """Organizers whose money (refunds, resends) this viewer may handle: owners and managers;
    None for the operator."""
    owner_ids: frozenset[uuid.UUID] | None = None
    """Organizers whose members, profile and audit log this viewer manages: owners; None for
    the operator."""

    @property
    def is_operator(self) -> bool:
        return self.organizer_ids is None

    def may_see(self, organizer_id: uuid.UUID) -> bool:
        return self.organizer_ids is None or organizer_id in self.organizer_ids

    def may_handle_money(self, organizer_id: uuid.UUID) -> bool:
        if self.organizer_ids is None:
            return True
        return self.money_ids is not None and organizer_id in self.money_ids

    def may_manage(self, organizer_id: uuid.UUID) -> bool:
        if self.organizer_ids is None:
            return True
        return self.owner_ids is not None and organizer_id in self.owner_ids


async def find_viewer(connection: Connection, session: AsyncSession) -> Viewer:
    who = await sessions.subject(connection, session)
    email = None if who is None or who == sessions.OPERATOR else who
    if email is not None:
        rows = (
            await session.execute(
                select(OrganizerMember.organizer_id, OrganizerMember.role).where(
                    OrganizerMember.email == email
                )
            )
        ).all()
        if rows:
            return Viewer(
                who=email,
                organizer_ids=frozenset(r[0] for r in rows),
                money_ids=frozenset(r[0] for r in rows if r[1] in (Role.owner, Role.manager)),
                owner_ids=frozenset(r[0] for r in rows if r[1] == Role.owner),
            )
    if who == sessions.OPERATOR and operator_session(connection):
        return OPERATOR
    if connection.headers.get("authorization", "").lower().startswith("basic "):
        await operator_guard(connection, connection.route_handler)  # raises on bad credentials
        return OPERATOR
    raise NotSignedIn(detail="Sign in to see the dashboard.")


async def signed_in(connection: Connection, _: BaseRouteHandler) -> None:
    """The back office's guard: staff or the operator, found once and kept for `who`."""
    async with connection.app.state.sessions() as session:
        connection.state.viewer = await find_viewer(connection, session)


def viewer_of(connection: Connection) -> Viewer:
    found: Viewer = connection.state.viewer  # set by `signed_in`, the router's guard
    return found


def provide_viewer(request: Request[Any, Any, Any]) -> Viewer:
    return viewer_of(request)


OPERATOR = Viewer(who="operator", organizer_ids=None)
"""The platform operator, as the operator's API (HTTP Basic, `operator_guard`) acts."""


def provide_operator() -> Viewer:
    return OPERATOR


Who: TypeAlias = NamedDependency[SkipValidation[Viewer]]
"""The person asking, as `signed_in` found them."""


async def operator_only(connection: Connection, _: BaseRouteHandler) -> None:
    if not viewer_of(connection).is_operator:
        raise PermissionDeniedException(detail="Only the platform operator can do this.")


async def owners_only(connection: Connection, _: BaseRouteHandler) -> None:
    """The organizer in the path (`organizer_id`): its owners and the operator."""
    who = viewer_of(connection)
    organizer_id: uuid.UUID = connection.path_params["organizer_id"]
    if not who.may_see(organizer_id):
        raise NotFoundException(detail="No such organizer.")
    if not who.may_manage(organizer_id):
        raise PermissionDeniedException(detail="Only the organizer's owners can see this.")


async def money_handlers(connection: Connection, _: BaseRouteHandler) -> None:
    """Owners and managers (and the operator) of the organizer the request names: the event in
    the path, or `?organizer=` (where Stripe sends them back); naming none, of any organizer."""
    who = viewer_of(connection)
    if who.is_operator:
        return
    if "event_id" in connection.path_params:
        organizer_id = await _organizer_of_event(connection, connection.path_params["event_id"])
        missing = "No such event."
    elif "organizer" in connection.query_params:
        organizer_id = _uuid(connection.query_params["organizer"])
        missing = "No such organizer."
    elif who.money_ids:
        return
    else:
        raise PermissionDeniedException(detail="Only owners and managers can do this.")
    if organizer_id is None or not who.may_see(organizer_id):
        raise NotFoundException(detail=missing)
    if not who.may_handle_money(organizer_id):
        raise PermissionDeniedException(
            detail="Only owners and managers can change events and handle payments."
        )


async def _organizer_of_event(connection: Connection, event_id: uuid.UUID) -> uuid.UUID | None:
    async with connection.app.state.sessions() as session:
        found: uuid.UUID | None = await session.scalar(
            select(Event.organizer_id).where(Event.id == event_id)
        )
        return found


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def sales_organizers(session: AsyncSession, who: Viewer) -> list[Organizer]:
    """The organizers whose orders, buyers and money this viewer may see: owners and managers
    (and the operator). Door leads see the door only: devices, check-ins, double admissions."""
    return [o for o in await visible_organizers(session, who) if who.may_handle_money(o.id)]


async def visible_organizers(session: AsyncSession, who: Viewer) -> list[Organizer]:
    query = select(Organizer).order_by(Organizer.name)
    if who.organizer_ids is not None:
        query = query.where(Organizer.id.in_(who.organizer_ids))
    return list(await session.scalars(query))
