"""Who works for an organizer, for its owners (and the operator): the members page, whose forms
add people, change roles and remove them (`api.organizers.services`), and the owners' Stripe
onboarding button (`api.payments.onboarding`).

A refused change (the last owner, an address already a member) comes back as the page with the
reason and status 409. Managers and door leads get 403 here (the `owners_only` guard); another
organizer's id is a 404, as everywhere in /admin.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable

from litestar import Controller, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Viewer, Who, owners_only
from api.admin.deps import ThisOrganizer
from api.admin.onboarding import to_stripe
from api.db import Organizer, Role
from api.errors import Refused
from api.organizers import services as members
from api.web.deps import DB, AppSettings, Gateway
from api.web.security import NO_STORE

ROLE_NAMES = {Role.owner: "Owner", Role.manager: "Manager", Role.door_lead: "Door lead"}
Form = URLEncodedBody[dict[str, str]]
MemberId = FromPath[uuid.UUID]


class MemberPages(Controller):
    path = "/organizers/{organizer_id:uuid}"
    guards = [owners_only]

    @get("/members")
    async def members(self, db: DB, organizer: ThisOrganizer) -> Template:
        return await _members_page(db, organizer)

    @post("/members", status_code=303)
    async def add(
        self, db: DB, who: Who, organizer: ThisOrganizer, data: Form
    ) -> Redirect | Template:
        email, role = data.get("email", ""), data.get("role", "")
        change = members.add_member(
            db, organizer_id=organizer.id, email=email, role=role, actor=who.who
        )
        return await _change(db, organizer, who, change)

    @post("/members/{member_id:uuid}/role", status_code=303)
    async def role(
        self, db: DB, who: Who, organizer: ThisOrganizer, member_id: MemberId, data: Form
    ) -> Redirect | Template:
        role = data.get("role", "")
        change = members.change_role(
            db, organizer_id=organizer.id, member_id=member_id, role=role, actor=who.who
        )
        return await _change(db, organizer, who, change)

    @post("/members/{member_id:uuid}/remove", status_code=303)
    async def remove(
        self, db: DB, who: Who, organizer: ThisOrganizer, member_id: MemberId
    ) -> Redirect | Template:
        change = members.remove_member(
            db, organizer_id=organizer.id, member_id=member_id, actor=who.who
        )
        return await _change(db, organizer, who, change)

    @post("/stripe/onboarding", status_code=303)
    async def onboarding(
        self, db: DB, who: Who, settings: AppSettings, gateway: Gateway, organizer: ThisOrganizer
    ) -> Redirect:
        """Start (or continue) Stripe onboarding and send the owner to Stripe's page."""
        return await to_stripe(db, gateway, organizer, base_url=settings.base_url, actor=who.who)


async def _change(
    db: AsyncSession, organizer: Organizer, who: Viewer, change: Awaitable[None]
) -> Redirect | Template:
    """Run one membership change: back to the list, or the list with the refusal (409)."""
    organizer_id = organizer.id
    try:
        await change
    except Refused as exc:
        await db.rollback()
        await db.refresh(organizer)
        return await _members_page(db, organizer, note=str(exc), status=409)
    if not who.is_operator and not await members.is_owner(
        db, organizer_id=organizer_id, email=who.who
    ):
        return Redirect(path="/admin/", status_code=303)  # they stepped down or left
    return Redirect(path=f"/admin/organizers/{organizer_id}/members", status_code=303)


async def _members_page(
    db: AsyncSession, organizer: Organizer, *, note: str = "", status: int = 200
) -> Template:
    return Template(
        template_name="admin/members.html",
        context={
            "organizer": organizer,
            "members": await members.members_of(db, organizer.id),
            "roles": ROLE_NAMES,
            "note": note,
        },
        status_code=status,
        headers=NO_STORE,
    )
