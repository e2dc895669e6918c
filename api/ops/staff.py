"""Getting people in from the command line, for a host whose email is not set up yet.

`poctix organizer create`, `poctix member add` and `poctix sign-in-link` do what the operator's
dashboard and the sign-in form do, through the same rules (slugs, roles, the last-owner rule,
single-use 15-minute links), and leave the same audit entries, with the acting command-line user
as the actor.
"""

from __future__ import annotations

import contextlib
import getpass
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, errors
from api.accounts.services import login_url, new_login_token
from api.db import Organizer, OrganizerMember, Role
from api.mail.addresses import deliverable
from api.organizers.applications import unique_slug
from api.organizers.services import add_member

ROLES = {"owner": Role.owner, "manager": Role.manager, "door": Role.door_lead}
"""What `--role` accepts on the command line, and the member role each one is."""


class Refused(Exception):
    """The command cannot do this; the message says why and what to do instead."""


def cli_actor() -> str:
    """Who an audit entry names for a command: the operating-system user that ran it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"command line ({user})"


def _address(email: str) -> str:
    address = email.strip().lower()
    if not deliverable(address):
        raise Refused(f"{email!r} does not look like an email address.")
    return address


async def find_organizer(session: AsyncSession, key: str) -> Organizer:
    """An organizer by its slug (as in /o/SLUG) or its id."""
    condition = Organizer.slug == key.strip().lower()
    with contextlib.suppress(ValueError):
        condition = condition | (Organizer.id == uuid.UUID(key.strip()))
    organizer = await session.scalar(select(Organizer).where(condition))
    if organizer is None:
        raise Refused(f"No organizer {key!r}: give its slug or id (see the dashboard).")
    return organizer


async def create_organizer(
    session: AsyncSession, *, name: str, owner_email: str, actor: str
) -> Organizer:
    """A new organizer with `owner_email` as its first owner."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Refused("Give the organizer a name of 1 to 200 characters.")
    owner = _address(owner_email)
    organizer = Organizer(name=name, slug=await unique_slug(session, name), contact_email=owner)
    session.add(organizer)
    await session.flush()
    session.add(OrganizerMember(organizer_id=organizer.id, email=owner, role=Role.owner))
    audit.record(
        session, organizer_id=organizer.id, actor=actor, action="organizer.created",
        target=owner, details={"name": name, "slug": organizer.slug},
    )  # fmt: skip
    await session.commit()
    return organizer


async def add_organizer_member(
    session: AsyncSession, *, organizer_key: str, email: str, role: str, actor: str
) -> Organizer:
    """`email` joins the organizer with `role` (owner, manager or door)."""
    if role not in ROLES:
        raise Refused(f"Choose a role: {', '.join(ROLES)}.")
    organizer = await find_organizer(session, organizer_key)
    try:
        await add_member(
            session,
            organizer_id=organizer.id,
            email=_address(email),
            role=ROLES[role].value,
            actor=actor,
        )
    except errors.Refused as exc:
        raise Refused(str(exc)) from exc
    return organizer


@dataclass(frozen=True)
class SignInLink:
    url: str
    organizers: list[str]
    """Names of the organizers whose dashboard the link opens (none: a buyer's account)."""


async def print_sign_in_link(
    session: AsyncSession, *, email: str, base_url: str, actor: str
) -> SignInLink:
    """A one-time sign-in link for `email`, audited for each organizer the person works for."""
    address = _address(email)
    token = new_login_token(session, email=address)
    organizers = list(
        (
            await session.execute(
                select(Organizer.id, Organizer.name)
                .join(OrganizerMember, OrganizerMember.organizer_id == Organizer.id)
                .where(OrganizerMember.email == address)
                .order_by(Organizer.name)
            )
        ).all()
    )
    for organizer_id, _ in organizers:
        audit.record(session, organizer_id=organizer_id, actor=actor,
                     action="sign_in_link.printed", target=address)  # fmt: skip
    if not organizers:  # a buyer's link belongs to no organizer
        audit.record_platform(session, actor=actor, action="sign_in_link.printed", target=address)
    await session.commit()
    return SignInLink(url=login_url(base_url, token), organizers=[n for _, n in organizers])
