"""The platform operator's review of organizer applications: the list, with approve and decline
buttons (`api.organizers.applications` decides). A decision already made by someone else comes
back as the list with the reason and status 409."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Who, operator_only
from api.errors import Refused
from api.organizers.applications import (
    applications,
    approve_application,
    decision_note,
    decline_application,
)
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE

ApplicationId = FromPath[uuid.UUID]


class ApplicationReview(Controller):
    path = "/applications"
    guards = [operator_only]

    @get("/")
    async def list_page(self, db: DB) -> Template:
        return await _review_page(db, note="")

    @post("/{application_id:uuid}/approve", status_code=200)
    async def approve(
        self, db: DB, who: Who, settings: AppSettings, application_id: ApplicationId
    ) -> Template:
        try:
            organizer = await approve_application(
                db, application_id=application_id, actor=who.who, secret_key=settings.secret_key
            )
        except Refused as exc:
            return await _review_page(db, note=str(exc), status=409)
        note = f"Approved: {organizer.name} ({organizer.slug}). The owner was emailed a link."
        return await _review_page(db, note=note)

    @post("/{application_id:uuid}/decline", status_code=200)
    async def decline(
        self, db: DB, who: Who, application_id: ApplicationId, data: URLEncodedBody[dict[str, str]]
    ) -> Template:
        note = decision_note(data.get("note", ""))
        try:
            await decline_application(db, application_id=application_id, actor=who.who, note=note)
        except Refused as exc:
            return await _review_page(db, note=str(exc), status=409)
        return await _review_page(db, note="Declined.")


async def _review_page(db: AsyncSession, *, note: str, status: int = 200) -> Template:
    rows = await applications(db)
    return Template(
        template_name="admin/applications.html",
        context={
            "pending": [a for a in rows if a.status == "pending"],
            "decided": [a for a in rows if a.status != "pending"][:200],
            "note": note,
        },
        status_code=status,
        headers=NO_STORE,
    )
