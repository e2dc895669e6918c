"""The door, for organizers: every scan as CSV, and the double admissions found after sync.

Conflicts are classified by the sync core (`sync.conflicts`), the same rule the phones use; the
scans CSV flags every admission that is a true conflict or an override of another.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import NotSignedIn, Viewer, viewer
from api.checkin.sync_service import conflicts as find_conflicts
from api.checkin.sync_service import from_millis
from api.db import AuditEntry, Event, Scan, ScannerDevice
from api.formatting import clock
from api.passes.tokens import pass_key_text
from api.web.deps import DB

SCAN_COLUMNS = [
    "device", "door", "seq", "pass_id", "verdict", "admitted", "scanned_at_device",
    "received_at_server", "double_admission",
]  # fmt: skip


async def _event_for(db: AsyncSession, who: Viewer, event_id: uuid.UUID) -> Event:
    event = await db.get(Event, event_id)
    if event is None or not who.may_see(event.organizer_id):
        raise NotFoundException(detail="No such event.")
    return event


class DoorPages(Controller):
    path = "/admin/events/{event_id:uuid}"
    include_in_schema = False

    @get("/conflicts")
    async def conflicts(
        self, request: Request[Any, Any, Any], db: DB, event_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        try:
            who = await viewer(request, db)
        except NotSignedIn:
            return Redirect(path="/login", status_code=303)
        event = await _event_for(db, who, event_id)
        found = await find_conflicts(db, event_id=event.id)
        rows = [
            {
                "pass_id": c["pass_id"],
                "kind": c["kind"],
                "first_door": c["first"]["door"],
                "first_at": clock(from_millis(c["first"]["scanned_at"]), event.timezone),
                "other_door": c["other"]["door"],
                "other_at": clock(from_millis(c["other"]["scanned_at"]), event.timezone),
            }
            for c in found
        ]
        return Template(
            template_name="admin/conflicts.html",
            context={"event": event, "rows": rows},
            headers={"Cache-Control": "no-store"},
        )

    @get("/scans.csv")
    async def scans_csv(
        self, request: Request[Any, Any, Any], db: DB, event_id: FromPath[uuid.UUID]
    ) -> Stream:
        who = await viewer(request, db)
        event = await _event_for(db, who, event_id)
        flagged = {
            (c["other"]["device"], c["other"]["seq"]): c["kind"]
            for c in await find_conflicts(db, event_id=event.id)
        }
        db.add(AuditEntry(organizer_id=event.organizer_id, actor=who.who,
                          action="export.scans", target=str(event.id)))  # fmt: skip
        await db.commit()
        return Stream(
            _scan_rows(request.app.state.sessions, event.id, flagged),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="scans-{event.slug}.csv"',
                     "Cache-Control": "no-store"},
        )  # fmt: skip


async def _scan_rows(
    sessions: Any, event_id: uuid.UUID, flagged: dict[tuple[str, int], str]
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(SCAN_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async with sessions() as db:
        query = (
            select(Scan, ScannerDevice.name)
            .join(ScannerDevice, ScannerDevice.id == Scan.device_id)
            .where(Scan.event_id == event_id)
            .order_by(Scan.scanned_at, Scan.device_id, Scan.seq)
            .execution_options(yield_per=1000)
        )
        result = await db.stream(query)
        async for partition in result.partitions():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for scan, device_name in partition:
                writer.writerow(
                    [
                        str(scan.device_id), scan.door or device_name, scan.seq,
                        pass_key_text(scan.pass_key) if scan.pass_key else "", scan.verdict,
                        "yes" if scan.admitted else "no", scan.scanned_at.isoformat(),
                        scan.received_at.isoformat(),
                        flagged.get((str(scan.device_id), scan.seq), ""),
                    ]
                )  # fmt: skip
            yield buffer.getvalue().encode()
