"""Who works for an organizer: owners (and the platform operator) add people, change roles and
remove them; every change is an audit entry, committed with it.

Each change locks the organizer row first, so two owners demoting each other at the same moment
cannot leave the organizer without an owner: the second one is refused ("the last owner").
Removing someone signs them out of every browser at once.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.accounts import sessions
from api.db import Organizer, OrganizerMember, Role
from api.errors import NotFound, Refused
from api.mail.addresses import deliverable


async def members_of(db: AsyncSession, organizer_id: uuid.UUID) -> list[OrganizerMember]:
    return list(
        await db.scalars(
            select(OrganizerMember)
            .where(OrganizerMember.organizer_id == organizer_id)
            .order_by(OrganizerMember.role, OrganizerMember.email)
        )
    )


async def is_owner(db: AsyncSession, *, organizer_id: uuid.UUID, email: str) -> bool:
    found = await db.scalar(
        select(OrganizerMember.id).where(
            OrganizerMember.organizer_id == organizer_id,
            OrganizerMember.email == email,
            OrganizerMember.role == Role.owner,
        )
    )
    return found is not None


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
