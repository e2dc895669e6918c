"""An organizer's profile: name, contact email, public page address and logo. Every change is
an audit entry per field, with what it was and what it became.

The contact email is the Reply-To of every buyer email, so it is checked by the mailer's own
rule (`api.mail.addresses.deliverable`): an address saved here is one the mailer will use. The slug
is the address of the public page `/o/{slug}`; the database enforces its format and uniqueness
too, and a race between two owners picking the same one ends in the same clear message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.db import Organizer
from api.errors import Invalid
from api.events.editing import SLUG
from api.mail.addresses import deliverable
from api.media.images import store_image
from api.settings import Settings

NAME_MAX = 200
SLUG_RULE = (
    "The public page address may use lowercase letters, digits and dashes (at most 63), and"
    " must start with a letter or digit."
)


@dataclass(frozen=True)
class Profile:
    name: str
    contact_email: str
    slug: str


def read_profile(data: Mapping[str, str]) -> Profile:
    """The form's fields, checked; Invalid lists every problem at once."""
    problems: list[str] = []
    name = " ".join(data.get("name", "").split())
    if not name:
        problems.append("Give the organizer a name.")
    elif len(name) > NAME_MAX:
        problems.append(f"The name may be at most {NAME_MAX} characters.")
    email = data.get("contact_email", "").strip()
    if not deliverable(email):
        problems.append(
            f"“{email}” is not an email address buyers' replies can go to: use one plain"
            " address like tickets@your-venue.example."
        )
    slug = data.get("slug", "").strip().lower()
    if not SLUG.fullmatch(slug):
        problems.append(SLUG_RULE)
    if problems:
        raise Invalid(*problems)
    return Profile(name=name, contact_email=email, slug=slug)


async def update_profile(
    db: AsyncSession, *, organizer: Organizer, profile: Profile, actor: str
) -> list[str]:
    """Save the changed fields with one audit entry each; returns the names of those changed."""
    taken = await db.scalar(
        select(Organizer.id).where(Organizer.slug == profile.slug, Organizer.id != organizer.id)
    )
    if taken is not None:
        raise Invalid(f"The address /o/{profile.slug} is taken; pick another.")
    changed = []
    for field in ("name", "contact_email", "slug"):
        before, after = getattr(organizer, field), getattr(profile, field)
        if before == after:
            continue
        setattr(organizer, field, after)
        changed.append(field)
        _audit(db, organizer, actor, field, before, after)
    try:
        await db.commit()
    except IntegrityError as exc:  # another owner took the slug since the check above
        await db.rollback()
        raise Invalid(f"The address /o/{profile.slug} is taken; pick another.") from exc
    return changed


async def replace_logo(
    db: AsyncSession, *, organizer: Organizer, raw: bytes, settings: Settings, actor: str
) -> None:
    """Check and re-encode the image as every upload is (`api.media.images`), then use it."""
    name = store_image(raw, data_dir=settings.data_dir)  # an ImageError is an Invalid
    before, organizer.logo_path = organizer.logo_path, name
    _audit(db, organizer, actor, "logo", before, name)
    await db.commit()


def _audit(
    db: AsyncSession, organizer: Organizer, actor: str, field: str, before: Any, after: Any
) -> None:
    audit.record(
        db, organizer_id=organizer.id, actor=actor, action="organizer.updated", target=field,
        details={"before": before or "", "after": after},
    )  # fmt: skip
