"""Who works for an organizer: owners (and the platform operator) add people, change roles and
remove them; every change is an audit entry. Also the owners' Stripe onboarding button.

Each change locks the organizer row first, so two owners demoting each other at the same moment
cannot leave the organizer without an owner: the second one sees "the last owner".
Managers and door leads get 403 here; another organizer's id is a 404, as everywhere in /admin.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable

from litestar import Controller, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.accounts import sessions
from api.admin.access import Viewer, Who, owners_only
from api.admin.deps import ThisOrganizer
from api.admin.money import _onboarding_url
from api.db import Organizer, OrganizerMember, Role
from api.errors import NotFound, Refused
from api.mail.addresses import deliverable
from api.web.deps import DB, AppSettings, Gateway

ROLE_NAMES = {Role.owner: "Owner", Role.manager: "Manager", Role.door_lead: "Door lead"}


async def _lock(db: AsyncSession, organizer_id: uuid.UUID) -> None:
    await db.execute(select(Organizer.id).where(Organizer.id == organizer_id).with_for_update())


async def _member(
    db: AsyncSession, organizer_id: uuid.UUID, member_id: uuid.UUID
) -> OrganizerMember:
    member = await db.get(OrganizerMember, member_id)
    if member is None or member.organizer_id != organizer_id:
        raise NotFound("No such member.")
    return member


async def _refuse_if_last_owner(db: AsyncSession, member: OrganizerMember, doing: str) -> None:
    if member.role != Role.owner:
        return
    owners = await db.scalar(
        select(func.count()).where(
            OrganizerMember.organizer_id == member.organizer_id,
            OrganizerMember.role == Role.owner,
        )
    )
    if (owners or 0) <= 1:
        raise Refused(
            f"{member.email} is the last owner and cannot be {doing}. "
            "Make someone else an owner first."
        )


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Refused("Choose a role: owner, manager or door lead.") from None


async def add_member(
    db: AsyncSession, *, organizer_id: uuid.UUID, email: str, role: str, actor: str
) -> None:
    address = email.strip().lower()
    if not deliverable(address):
        raise Refused("That does not look like an email address.")
    chosen = _role(role)
    await _lock(db, organizer_id)
    existing = await db.scalar(
        select(OrganizerMember.id).where(
            OrganizerMember.organizer_id == organizer_id, OrganizerMember.email == address
        )
    )
    if existing is not None:
        raise Refused(f"{address} is already a member; change their role below.")
    db.add(OrganizerMember(organizer_id=organizer_id, email=address, role=chosen))
    audit.record(db, organizer_id=organizer_id, actor=actor, action="member.added",
                 target=address, details={"role": chosen.value})  # fmt: skip
    await db.commit()


async def change_role(
    db: AsyncSession, *, organizer_id: uuid.UUID, member_id: uuid.UUID, role: str, actor: str
) -> None:
    chosen = _role(role)
    await _lock(db, organizer_id)
    member = await _member(db, organizer_id, member_id)
    if member.role == chosen:
        return
    if chosen != Role.owner:
        await _refuse_if_last_owner(db, member, "demoted")
    before, member.role = member.role, chosen
    audit.record(
        db, organizer_id=organizer_id, actor=actor, action="member.role_changed",
        target=member.email, details={"before": before, "after": chosen.value},
    )  # fmt: skip
    await db.commit()


async def remove_member(
    db: AsyncSession, *, organizer_id: uuid.UUID, member_id: uuid.UUID, actor: str
) -> None:
    await _lock(db, organizer_id)
    member = await _member(db, organizer_id, member_id)
    await _refuse_if_last_owner(db, member, "removed")
    await db.delete(member)
    # Removed means out now: every browser they are signed in on is signed out.
    await sessions.end_everywhere(db, subject=member.email)
    audit.record(db, organizer_id=organizer_id, actor=actor, action="member.removed",
                 target=member.email, details={"role": member.role})  # fmt: skip
    await db.commit()


class MemberPages(Controller):
    path = "/organizers/{organizer_id:uuid}"
    guards = [owners_only]

    @get("/members")
    async def members(self, db: DB, organizer: ThisOrganizer) -> Template:
        return await _members_page(db, organizer, note="", status=200)

    @post("/members", status_code=303)
    async def add(
        self,
        db: DB,
        who: Who,
        organizer: ThisOrganizer,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        return await _change(
            db, organizer, who,
            add_member(db, organizer_id=organizer.id, email=data.get("email", ""),
                       role=data.get("role", ""), actor=who.who),
        )  # fmt: skip

    @post("/members/{member_id:uuid}/role", status_code=303)
    async def role(
        self,
        db: DB,
        who: Who,
        organizer: ThisOrganizer,
        member_id: FromPath[uuid.UUID],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        return await _change(
            db, organizer, who,
            change_role(db, organizer_id=organizer.id, member_id=member_id,
                        role=data.get("role", ""), actor=who.who),
        )  # fmt: skip

    @post("/members/{member_id:uuid}/remove", status_code=303)
    async def remove(
        self,
        db: DB,
        who: Who,
        organizer: ThisOrganizer,
        member_id: FromPath[uuid.UUID],
    ) -> Redirect | Template:
        return await _change(
            db, organizer, who,
            remove_member(db, organizer_id=organizer.id, member_id=member_id, actor=who.who),
        )  # fmt: skip

    @post("/stripe/onboarding", status_code=303)
    async def onboarding(
        self,
        db: DB,
        who: Who,
        settings: AppSettings,
        gateway: Gateway,
        organizer: ThisOrganizer,
    ) -> Redirect:
        """Start (or continue) Stripe onboarding and send the owner to Stripe's page."""
        url = await _onboarding_url(db, settings, gateway, organizer.id, actor=who.who)
        return Redirect(path=url, status_code=303)


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
    if who.organizer_ids is not None:
        still_owner = await db.scalar(
            select(OrganizerMember.id).where(
                OrganizerMember.organizer_id == organizer_id,
                OrganizerMember.email == who.who,
                OrganizerMember.role == Role.owner,
            )
        )
        if still_owner is None:  # they stepped down or removed themselves
            return Redirect(path="/admin/", status_code=303)
    return Redirect(path=f"/admin/organizers/{organizer_id}/members", status_code=303)


async def _members_page(
    db: AsyncSession, organizer: Organizer, *, note: str, status: int
) -> Template:
    members = list(
        await db.scalars(
            select(OrganizerMember)
            .where(OrganizerMember.organizer_id == organizer.id)
            .order_by(OrganizerMember.role, OrganizerMember.email)
        )
    )
    return Template(
        template_name="admin/members.html",
        context={"organizer": organizer, "members": members, "roles": ROLE_NAMES, "note": note},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
