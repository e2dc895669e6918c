"""Who may see which organizer in /admin: staff signed in by magic link see their organizers;
the platform operator (signed in at /admin/sign-in, or HTTP Basic from a script) sees every
organizer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts import sessions
from api.admin.auth import operator_guard, operator_session
from api.db import Organizer, OrganizerMember
from api.web.errors import http_exception_handler


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

    def may_see(self, organizer_id: uuid.UUID) -> bool:
        return self.organizer_ids is None or organizer_id in self.organizer_ids

    def may_handle_money(self, organizer_id: uuid.UUID) -> bool:
        if self.organizer_ids is None:
            return True
        return self.money_ids is not None and organizer_id in self.money_ids


async def viewer(request: Request[Any, Any, Any], session: AsyncSession) -> Viewer:
    who = await sessions.subject(request, session)
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
                money_ids=frozenset(r[0] for r in rows if r[1] in ("owner", "manager")),
            )
    if who == sessions.OPERATOR and operator_session(request):
        return Viewer(who="operator", organizer_ids=None)
    if request.headers.get("authorization", "").lower().startswith("basic "):
        await operator_guard(request, request.route_handler)  # raises on bad credentials
        return Viewer(who="operator", organizer_ids=None)
    raise NotSignedIn(detail="Sign in to see the dashboard.")


async def sales_organizers(session: AsyncSession, who: Viewer) -> list[Organizer]:
    """The organizers whose orders, buyers and money this viewer may see: owners and managers
    (and the operator). Door leads see the door only: devices, check-ins, double admissions."""
    return [o for o in await visible_organizers(session, who) if who.may_handle_money(o.id)]


async def visible_organizers(session: AsyncSession, who: Viewer) -> list[Organizer]:
    query = select(Organizer).order_by(Organizer.name)
    if who.organizer_ids is not None:
        query = query.where(Organizer.id.in_(who.organizer_ids))
    return list(await session.scalars(query))
