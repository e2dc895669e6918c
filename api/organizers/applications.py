"""Organizer applications: what the public form at /apply takes, and the operator's decision.

Approving creates the organizer, makes the applicant its owner and emails them an ordinary
sign-in link (`api.accounts.services.request_login`), all in one transaction with the decision
and its audit entry. The application row is locked while it is decided, so two operators
clicking "approve" at once make one organizer, and the second gets a clear refusal.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.accounts.services import request_login
from api.db import Organizer, OrganizerApplication, OrganizerMember, Role, utcnow
from api.errors import NotFound, Refused
from api.mail.addresses import deliverable

FIELDS = ("organizer_name", "contact_name", "contact_email", "website", "message")
LIMITS = {"organizer_name": 200, "contact_name": 200, "contact_email": 254, "website": 500,
          "message": 4000}  # fmt: skip
_LINE_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_TEXT_BREAKERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WEBSITE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass
class ApplicationForm:
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


def read_form(data: dict[str, str]) -> ApplicationForm:
    """The submitted fields, trimmed, with every problem as a sentence for the applicant."""
    values = {name: str(data.get(name, "")).strip() for name in FIELDS}
    values["contact_email"] = values["contact_email"].lower()
    form = ApplicationForm(values=values)
    labels = {"organizer_name": "Organizer name", "contact_name": "Your name",
              "contact_email": "Email", "website": "Website", "message": "Message"}  # fmt: skip
    for name in FIELDS:
        value = values[name]
        breakers = _TEXT_BREAKERS if name == "message" else _LINE_BREAKERS
        if breakers.search(value):
            form.errors.append(f"{labels[name]} contains characters that cannot be accepted.")
            values[name] = breakers.sub(" ", value)
        elif len(value) > LIMITS[name]:
            form.errors.append(f"{labels[name]} is longer than {LIMITS[name]} characters.")
    for name in ("organizer_name", "contact_name", "contact_email"):
        if not values[name]:
            form.errors.append(f"{labels[name]} is required.")
    email = values["contact_email"]
    if email and not deliverable(email):
        form.errors.append("Email does not look like an email address.")
    if values["website"] and not _WEBSITE.match(values["website"]):
        form.errors.append("Website should start with https:// (or http://).")
    return form


def slug_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:50].strip("-")
    return base or "organizer"


async def unique_slug(db: AsyncSession, name: str) -> str:
    base = slug_base(name)
    taken = set(
        await db.scalars(
            select(Organizer.slug).where(
                (Organizer.slug == base) | Organizer.slug.like(f"{base}-%")
            )
        )
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


async def _pending(db: AsyncSession, application_id: uuid.UUID) -> OrganizerApplication:
    application = await db.scalar(
        select(OrganizerApplication)
        .where(OrganizerApplication.id == application_id)
        .with_for_update()
    )
    if application is None:
        raise NotFound("No such application.")
    if application.status != "pending":
        message = (
            f"The application from {application.organizer_name} was already "
            f"{application.status}; nothing was changed."
        )
        await db.rollback()
        raise Refused(message)
    return application


async def approve_application(
    db: AsyncSession, *, application_id: uuid.UUID, actor: str, secret_key: str
) -> Organizer:
    """Create the organizer with the applicant as owner and email them a sign-in link."""
    application = await _pending(db, application_id)
    organizer = Organizer(
        name=application.organizer_name,
        slug=await unique_slug(db, application.organizer_name),
        contact_email=application.contact_email,
    )
    db.add(organizer)
    await db.flush()
    db.add(
        OrganizerMember(organizer_id=organizer.id, email=application.contact_email, role=Role.owner)
    )
    application.status = "approved"
    application.decided_by = actor
    application.decided_at = utcnow()
    application.organizer_id = organizer.id
    audit.record(
        db, organizer_id=organizer.id, actor=actor, action="organizer.approved",
        target=application.contact_email,
        details={"application": str(application.id), "slug": organizer.slug},
    )  # fmt: skip
    # Commits everything above together with the sign-in link.
    await request_login(
        db, email=application.contact_email, secret_key=secret_key, next_path="/admin"
    )
    await db.commit()
    return organizer


async def decline_application(
    db: AsyncSession, *, application_id: uuid.UUID, actor: str, note: str
) -> None:
    application = await _pending(db, application_id)
    application.status = "declined"
    application.decided_by = actor
    application.decided_at = utcnow()
    application.decision_note = note
    # No organizer was created: the operator's decision is the platform's own record.
    audit.record_platform(
        db, actor=actor, action="application.declined", target=application.contact_email,
        details={"application": str(application.id), "note": note},
    )  # fmt: skip
    await db.commit()


async def submit_application(db: AsyncSession, form: ApplicationForm) -> None:
    """Keep an application whose form has no problems, for the operator to decide."""
    db.add(OrganizerApplication(**form.values))
    await db.commit()


def decision_note(text: str) -> str:
    """The operator's note on a decline, on one line and at most 1,000 characters."""
    return _LINE_BREAKERS.sub(" ", text).strip()[:1000]


async def applications(db: AsyncSession) -> list[OrganizerApplication]:
    """Every application, newest first, as the database has them now."""
    db.expire_all()
    return list(
        await db.scalars(
            select(OrganizerApplication).order_by(OrganizerApplication.created_at.desc())
        )
    )
