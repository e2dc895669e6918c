"""An organizer's audit log for its owners and the operator: newest first, 100 to a page."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import select

from api.admin.access import SIGN_IN_FIRST
from api.admin.members import owner_view
from api.db import AuditEntry
from api.web.deps import DB

PER_PAGE = 100


class AuditPages(Controller):
    path = "/admin/organizers/{organizer_id:uuid}/audit"
    include_in_schema = False
    exception_handlers = SIGN_IN_FIRST

    @get("/")
    async def audit(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        organizer_id: FromPath[uuid.UUID],
        page: FromQuery[int] = 1,
    ) -> Template:
        _, organizer = await owner_view(db, request, organizer_id)
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
            headers={"Cache-Control": "no-store"},
        )
