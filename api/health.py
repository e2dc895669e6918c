"""`/healthz`: the process is up and the database answers."""

from __future__ import annotations

import msgspec
from litestar import get
from litestar.exceptions import HTTPException
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.web.deps import DB


class Health(msgspec.Struct):
    status: str
    database: str


@get("/healthz", tags=["system"], summary="Liveness and database check")
async def healthz(db: DB) -> Health:
    try:
        await db.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        raise HTTPException(status_code=503, detail="The database is not answering.") from exc
    return Health(status="ok", database="ok")
