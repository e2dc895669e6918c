"""An organizer's audit log for its owners and the operator: newest first, 100 to a page."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import select

from api.admin.access import owners_only
from api.admin.deps import ThisOrganizer
from api.db import AuditEntry
from api.web.deps import DB
from api.web.security import NO_STORE

PER_PAGE = 100


class AuditPages(Controller):
    path = "/organizers/{organizer_id:uuid}/audit"
    guards = [owners_only]

    @get("/")
    async def audit(
        self,
        db: DB,
        organizer: ThisOrganizer,
        page: FromQuery[int] = 1,
    ) -> Template:
        page = min(max(page, 1), 10_000)
        rows = list(
            await db.scalars(
                select(AuditEntry)
                .where(AuditEntry.organizer_id == organizer.id)
                .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                .offset((page - 1) * PER_PAGE)
                .limit(PER_PAGE + 1)
            )
        )
        return Template(
            template_name="admin/audit.html",
            context={
                "organizer": organizer,
                "entries": rows[:PER_PAGE],
                "page": page,
                "more": len(rows) > PER_PAGE,
            },
            headers=NO_STORE,
        )
