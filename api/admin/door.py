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

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Stream, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import SIGN_IN_FIRST, Viewer, viewer
from api.checkin.services import create_pairing, pairing_link
from api.checkin.sync_service import conflicts as find_conflicts
from api.checkin.sync_service import from_millis
from api.checkout.qr import qr_svg
from api.db import AuditEntry, Event, Scan, ScannerDevice, utcnow
from api.formatting import clock
from api.passes.tokens import pass_key_text
from api.web.deps import DB, AppSettings

SCAN_COLUMNS = [
    "device", "door", "seq", "pass_id", "verdict", "admitted", "scanned_at_device",
    "received_at_server", "double_admission",
]  # fmt: skip


async def event_for(db: AsyncSession, who: Viewer, event_id: uuid.UUID) -> Event:
    event = await db.get(Event, event_id)
    if event is None or not who.may_see(event.organizer_id):
        raise NotFoundException(detail="No such event.")
    return event


class DoorPages(Controller):
    """Door pages of one event: devices and pairing, double admissions, the scans CSV."""

    path = "/admin/events/{event_id:uuid}"
    include_in_schema = False
    exception_handlers = SIGN_IN_FIRST

    @get("/devices")
    async def devices(
        self, request: Request[Any, Any, Any], db: DB, event_id: FromPath[uuid.UUID]
    ) -> Template:
        who = await viewer(request, db)
        event = await event_for(db, who, event_id)
        return await _devices_page(db, event, link=None)

    @post("/devices/pairing", status_code=200)
    async def new_pairing(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        settings: AppSettings,
        event_id: FromPath[uuid.UUID],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template:
        who = await viewer(request, db)
        event = await event_for(db, who, event_id)
        door = (data.get("door") or "Door").strip()[:80] or "Door"
        pairing = await create_pairing(db, event_id=event.id, door=door)
        db.add(AuditEntry(organizer_id=event.organizer_id, actor=who.who,
                          action="device.pairing_created", target=door))  # fmt: skip
        await db.commit()
        link = pairing_link(settings.base_url, pairing.code)
        return await _devices_page(db, event, link=link)

    @post("/devices/{device_id:uuid}/revoke", status_code=303)
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        event_id: FromPath[uuid.UUID],
        device_id: FromPath[uuid.UUID],
    ) -> Redirect:
        who = await viewer(request, db)
        event = await event_for(db, who, event_id)
        device = await db.get(ScannerDevice, device_id)
        if device is None or device.event_id != event.id:
            raise NotFoundException(detail="No such device.")
        if device.revoked_at is None:
            device.revoked_at = utcnow()
            db.add(AuditEntry(organizer_id=event.organizer_id, actor=who.who,
                              action="device.revoked", target=device.name))  # fmt: skip
            await db.commit()
        return Redirect(path=f"/admin/events/{event.id}/devices", status_code=303)

    @get("/conflicts")
    async def conflicts(
        self, request: Request[Any, Any, Any], db: DB, event_id: FromPath[uuid.UUID]
    ) -> Template:
        who = await viewer(request, db)
        event = await event_for(db, who, event_id)
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
        event = await event_for(db, who, event_id)
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


async def _devices_page(db: AsyncSession, event: Event, *, link: str | None) -> Template:
    devices = list(
        await db.scalars(
            select(ScannerDevice)
            .where(ScannerDevice.event_id == event.id)
            .order_by(ScannerDevice.created_at)
        )
    )
    return Template(
        template_name="admin/devices.html",
        context={"event": event, "devices": devices, "link": link,
                 "link_qr": qr_svg(link) if link else None},
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
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
