"""The organizer's profile, for its owners (and the operator): name, contact email, public page
address and logo. Every change is an audit entry per field, with what it was and what it became.

The contact email is the Reply-To of every buyer email, so it is checked by the mailer's own
rule (`api.mail.addresses.deliverable`): an address saved here is one the mailer will use. The slug
is the address of the public page `/o/{slug}`; the database enforces its format and uniqueness
too, and a race between two owners picking the same one ends in the same clear message.
Managers and door leads get 403, another organizer's id 404, as everywhere in /admin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.admin.access import Who, owners_only
from api.admin.deps import ThisOrganizer
from api.admin.event_forms import SLUG
from api.db import Organizer
from api.errors import Invalid
from api.mail.addresses import deliverable
from api.media.images import MAX_BYTES, ImageError, store_image
from api.web.deps import DB, AppSettings

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
    db: AsyncSession, *, organizer: Organizer, raw: bytes, settings: AppSettings, actor: str
) -> None:
    """Check and re-encode the image as every upload is (`api.media.images`), then use it."""
    try:
        name = store_image(raw, data_dir=settings.data_dir)
    except ImageError as exc:
        raise Invalid(str(exc)) from exc
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


# The form as parsed: a bare UploadFile body is a 500 in Litestar when the file part is missing
# (see api.media.controllers).
LogoForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class OrganizerPages(Controller):
    path = "/organizers/{organizer_id:uuid}"
    guards = [owners_only]

    @get("/")
    async def profile(self, request: Request[Any, Any, Any], organizer: ThisOrganizer) -> Template:
        saved = request.query_params.get("saved") == "1"
        return _page(organizer, form=None, problems=[], saved=saved, status=200)

    @post("/", status_code=303)
    async def save(
        self,
        db: DB,
        who: Who,
        organizer: ThisOrganizer,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        try:
            profile = read_profile(data)
            await update_profile(db, organizer=organizer, profile=profile, actor=who.who)
        except Invalid as exc:
            await db.refresh(organizer)
            return _page(organizer, form=data, problems=exc.messages, saved=False, status=400)
        return Redirect(path=f"/admin/organizers/{organizer.id}?saved=1", status_code=303)

    @post("/logo", status_code=303, request_max_body_size=MAX_BYTES + 64 * 1024)
    async def logo(
        self,
        db: DB,
        who: Who,
        settings: AppSettings,
        organizer: ThisOrganizer,
        data: LogoForm,
    ) -> Redirect | Template:
        upload = data.get("logo")
        try:
            if not isinstance(upload, UploadFile):
                raise Invalid("Choose an image file for the logo.")
            raw = await upload.read(MAX_BYTES + 1)
            await replace_logo(db, organizer=organizer, raw=raw, settings=settings, actor=who.who)
        except Invalid as exc:
            return _page(organizer, form=None, problems=exc.messages, saved=False, status=400)
        return Redirect(path=f"/admin/organizers/{organizer.id}?saved=1", status_code=303)


def _page(
    organizer: Organizer,
    *,
    form: Mapping[str, str] | None,
    problems: list[str],
    saved: bool,
    status: int,
) -> Template:
    values = form or {
        "name": organizer.name,
        "contact_email": organizer.contact_email,
        "slug": organizer.slug,
    }
    return Template(
        template_name="admin/organizer.html",
        context={"organizer": organizer, "form": values, "problems": problems, "saved": saved},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
