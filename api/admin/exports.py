"""Getting an organizer's data out: the CSVs and the one-click full export (a zip of all of them).

Every table is read from a server-side cursor in partitions of 1,000 rows and written out as it
comes, so 100,000 orders never sit in memory at once. The zip is written by `zipfile` into a
sink that the response drains after every partition: `zipfile` handles an unseekable output by
putting each entry's sizes in a data descriptor after its data, so nothing has to be seeked
back to. A stream outlives the request's own session (it runs while the response is sent), so it
reads through a session of its own, closed when the last byte is out.

Scope: the viewer's organizers (`None`, the operator: every organizer). The full export and the
refunds are money: only owners and managers get them, and only of the organizers they manage.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.admin.access import Viewer, Who, money_handlers, sales_organizers
from api.admin.csvfile import BOM, csv_download, encode
from api.admin.export_tables import EVENT_SCAN_COLUMNS, TABLES, Rows, Scope, event_scans
from api.db import Event, utcnow
from api.web.deps import DB

ZIP_ORDER = ["orders", "refunds", "passes", "scans", "events", "tiers", "audit"]


def csv_chunks(db: AsyncSession, table: str, scope: Scope) -> AsyncIterator[bytes]:
    """One table of the export as CSV."""
    columns, rows = TABLES[table]
    return _csv(columns, rows(db, scope))


async def _csv(columns: list[str], rows: Rows) -> AsyncIterator[bytes]:
    """UTF-8 CSV with a BOM and a header, written by `api.admin.csvfile` (which keeps every cell
    from running as a formula)."""
    yield BOM + encode([columns])
    async for partition in rows:
        yield encode(partition)


async def _streamed(
    sessions: Any, columns: list[str], rows: Callable[[AsyncSession], Rows]
) -> AsyncIterator[bytes]:
    """A CSV read through a session of its own, closed when the last byte is out."""
    async with sessions() as db:
        async for chunk in _csv(columns, rows(db)):
            yield chunk


def csv_response(sessions: Any, table: str, scope: Scope, filename: str) -> Stream:
    columns, rows = TABLES[table]
    return csv_download(_streamed(sessions, columns, lambda db: rows(db, scope)), filename)


def event_scans_response(sessions: Any, event: Event) -> Stream:
    """One event's scans (the door page's download): the export's scans, without the event."""
    event_id = event.id
    chunks = _streamed(sessions, EVENT_SCAN_COLUMNS, lambda db: event_scans(db, event_id))
    return csv_download(chunks, f"scans-{event.slug}.csv")


class _Sink:
    """A write-only file for `zipfile`: it keeps what was written until the stream takes it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out, self._parts = b"".join(self._parts), []
        return out


async def stream_zip(sessions: Any, scope: Scope) -> AsyncIterator[bytes]:
    sink = _Sink()
    async with sessions() as db:
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in ZIP_ORDER:
                with archive.open(f"{table}.csv", "w") as entry:
                    async for chunk in csv_chunks(db, table, scope):
                        entry.write(chunk)
                        if out := sink.take():
                            yield out
                yield sink.take()
    yield sink.take()  # the central directory, written when the archive closed


def _money_scope(who: Viewer) -> Scope:
    """The organizers whose money this viewer handles (None: all, for the operator)."""
    return None if who.money_ids is None else sorted(who.money_ids)


def _audit(db: AsyncSession, who: Viewer, action: str, scope: Scope) -> None:
    """One entry per organizer exported, so each organizer's audit shows who took its data."""
    if scope is None:
        audit.record_platform(db, actor=who.who, action=action, details={"organizers": "all"})
        return
    for org in scope:
        audit.record(db, organizer_id=org, actor=who.who, action=action)


class Exports(Controller):
    path = "/"

    @get("/refunds.csv")
    async def refunds_csv(self, request: Request[Any, Any, Any], db: DB, who: Who) -> Stream:
        scope: Scope = None
        if who.organizer_ids is not None:
            scope = [o.id for o in await sales_organizers(db, who)]
        _audit(db, who, "export.refunds", scope)
        await db.commit()
        return csv_response(request.app.state.sessions, "refunds", scope, "refunds.csv")

    @get("/export.zip", guards=[money_handlers])
    async def full_export(self, request: Request[Any, Any, Any], db: DB, who: Who) -> Stream:
        scope = _money_scope(who)
        _audit(db, who, "export.full", scope)
        await db.commit()
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        return Stream(
            stream_zip(request.app.state.sessions, scope),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="poctix-export-{stamp}.zip"',
                "Cache-Control": "no-store",
            },
        )
