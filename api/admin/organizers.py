"""The organizer's profile page, for its owners (and the operator): name, contact email, public
page address and logo, saved by `api.organizers.profile` (its rules, one audit entry per field).

Managers and door leads get 403 (the `owners_only` guard), another organizer's id 404, as
everywhere in /admin. A form that cannot be saved comes back with status 400 and every reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from litestar import Controller, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from api.admin.access import Who, owners_only
from api.admin.deps import ThisOrganizer
from api.db import Organizer
from api.errors import Invalid
from api.media.uploads import UPLOAD_LIMIT, UploadForm, read_upload
from api.organizers.profile import read_profile, replace_logo, update_profile
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE


class OrganizerPages(Controller):
    path = "/organizers/{organizer_id:uuid}"
    guards = [owners_only]

    @get("/")
    async def profile(self, organizer: ThisOrganizer, saved: FromQuery[str] = "") -> Template:
        return _page(organizer, saved=saved == "1")

    @post("/", status_code=303)
    async def save(
        self, db: DB, who: Who, organizer: ThisOrganizer, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            profile = read_profile(data)
            await update_profile(db, organizer=organizer, profile=profile, actor=who.who)
        except Invalid as exc:
            await db.refresh(organizer)
            return _page(organizer, form=data, problems=exc.messages)
        return _saved(organizer)

    @post("/logo", status_code=303, request_max_body_size=UPLOAD_LIMIT)
    async def logo(
        self, db: DB, who: Who, settings: AppSettings, organizer: ThisOrganizer, data: UploadForm
    ) -> Redirect | Template:
        try:
            raw = await read_upload(data, "logo", missing="Choose an image file for the logo.")
            await replace_logo(db, organizer=organizer, raw=raw, settings=settings, actor=who.who)
        except Invalid as exc:
            return _page(organizer, problems=exc.messages)
        return _saved(organizer)


def _saved(organizer: Organizer) -> Redirect:
    return Redirect(path=f"/admin/organizers/{organizer.id}?saved=1", status_code=303)


def _page(
    organizer: Organizer,
    *,
    form: Mapping[str, str] | None = None,
    problems: list[str] | None = None,
    saved: bool = False,
) -> Template:
    """The profile form (400 with every problem when what was sent could not be saved)."""
    values = form or {
        "name": organizer.name,
        "contact_email": organizer.contact_email,
        "slug": organizer.slug,
    }
    return Template(
        template_name="admin/organizer.html",
        context={
            "organizer": organizer,
            "form": values,
            "problems": problems or [],
            "saved": saved,
        },
        status_code=400 if problems else 200,
        headers=NO_STORE,
    )
