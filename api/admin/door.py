"""The door, for organizers: pairing links and devices, every scan as CSV, and the double
admissions found after sync.

A pairing link names the door list its phones are bound to (none: "All passes") and whether they
may look guests up by name ("Scan and search"). The device list shows each phone's list, last
sync, pending scans and app version; the event's "Dashboard" device (check-ins from the order
page) is no phone and is never listed.

Conflicts are classified by the sync core (`sync.conflicts`), the same rule the phones use; the
scans CSV (`api.admin.exports`) flags every admission that is a true conflict or an override of
another.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Stream, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.admin.access import Who
from api.admin.deps import ThisEvent
from api.admin.exports import event_scans_response
from api.checkin import door_lists
from api.checkin import services as pairings
from api.checkin.services import create_pairing, pairing_link
from api.checkin.sync_service import conflicts as find_conflicts
from api.checkin.sync_service import from_millis
from api.db import DoorList, Event, ScannerDevice, ScannerPairing, utcnow
from api.errors import Invalid
from api.formatting import clock
from api.passes.qr import qr_svg
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE, PRIVATE_HEADERS


class DoorPages(Controller):
    """Door pages of one event: devices and pairing, double admissions, the scans CSV."""

    path = "/events/{event_id:uuid}"

    @get("/devices")
    async def devices(self, db: DB, event: ThisEvent) -> Template:
        return await _devices_page(db, event, link=None)

    @post("/devices/pairing", status_code=200)
    async def new_pairing(
        self,
        db: DB,
        who: Who,
        settings: AppSettings,
        event: ThisEvent,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template:
        door = (data.get("door") or "Door").strip()[:80] or "Door"
        uses = _uses(data.get("uses"))
        try:
            pairing = await create_pairing(
                db, event_id=event.id, door=door, uses=uses, actor=who.who,
                may_search=data.get("access") == "search",
                door_list_id=_list_id(data.get("door_list")),
            )  # fmt: skip
        except ValueError as exc:  # a list of another event
            raise Invalid(str(exc)) from exc
        await db.commit()
        link = pairing_link(settings.base_url, pairing.code)
        return await _devices_page(db, event, link=link, uses=uses)

    @post("/devices/pairings/{pairing_id:uuid}/revoke", status_code=303)
    async def revoke_pairing(
        self, db: DB, who: Who, event: ThisEvent, pairing_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await pairings.revoke_pairing(db, event=event, pairing_id=pairing_id, actor=who.who)
        return await _to_devices(db, event)

    @post("/devices/{device_id:uuid}/revoke", status_code=303)
    async def revoke(
        self, db: DB, who: Who, event: ThisEvent, device_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await pairings.revoke_device(db, event=event, device_id=device_id, actor=who.who)
        return await _to_devices(db, event)

    @get("/conflicts")
    async def conflicts(self, db: DB, event: ThisEvent) -> Template:
        found = await find_conflicts(db, event_id=event.id)
        names = _list_names(await door_lists.event_lists(db, event_id=event.id))
        by_wire = {door_lists.wire_list_id(list_id): name for list_id, name in names.items()}
        rows = [
            {
                "pass_id": c["pass_id"],
                "list": by_wire.get(
                    c.get("list") or door_lists.wire_list_id(None), "a removed list"
                ),
                "kind": c["kind"],
                "first_door": c["first"]["door"],
                "first_at": clock(from_millis(c["first"]["scanned_at"]), event.timezone),
                "other_door": c["other"]["door"],
                "other_at": clock(from_millis(c["other"]["scanned_at"]), event.timezone),
            }
            for c in found
        ]
        rows.sort(key=lambda row: (row["list"] != DEFAULT_LIST_NAME, row["list"].lower()))
        return Template(
            template_name="admin/conflicts.html",
            context={"event": event, "rows": rows},
            headers=NO_STORE,
        )

    @get("/scans.csv")
    async def scans_csv(
        self, request: Request[Any, Any, Any], db: DB, who: Who, event: ThisEvent
    ) -> Stream:
        audit.record(db, organizer_id=event.organizer_id, actor=who.who,
                     action="export.scans", target=str(event.id))  # fmt: skip
        await db.commit()
        return event_scans_response(request.app.state.sessions, event)


async def _to_devices(db: AsyncSession, event: Event) -> Redirect:
    """Commit the change and go back to the event's devices page."""
    await db.commit()
    return Redirect(path=f"/admin/events/{event.id}/devices", status_code=303)


def _uses(text: str | None) -> int:
    """The form's "phones it may pair", kept within 1..MAX_USES (a blank or odd value: 1)."""
    try:
        uses = int((text or "1").strip())
    except ValueError:
        return 1
    return min(max(uses, 1), pairings.MAX_USES)


def _list_id(text: str | None) -> uuid.UUID | None:
    """The form's door list: blank for "All passes", else one of the event's lists."""
    if not (text or "").strip():
        return None
    try:
        return uuid.UUID(str(text).strip())
    except ValueError as exc:
        raise Invalid("Choose one of this event's door lists.") from exc


def ago(moment: datetime | None, now: datetime) -> str:
    """How long ago, as a person says it: "just now", "3 min ago", "2 h ago", "4 days ago"."""
    if moment is None:
        return "never"
    seconds = max((now - moment).total_seconds(), 0)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "1 day ago" if days == 1 else f"{days} days ago"


def _link_state(pairing: ScannerPairing) -> str:
    if pairing.revoked_at is not None:
        return "revoked"
    if pairing.uses_left <= 0:
        return "used"
    return "expired" if pairing.expires_at <= utcnow() else "active"


async def _devices_page(
    db: AsyncSession, event: Event, *, link: str | None, uses: int = 1
) -> Template:
    devices = list(
        await db.scalars(
            select(ScannerDevice)
            .where(ScannerDevice.event_id == event.id, ScannerDevice.dashboard.is_(False))
            .order_by(ScannerDevice.created_at)
        )
    )
    links = list(
        await db.scalars(
            select(ScannerPairing)
            .where(ScannerPairing.event_id == event.id)
            .order_by(ScannerPairing.created_at.desc())
        )
    )
    paired_by = {p.id: [d for d in devices if d.pairing_id == p.id] for p in links}
    lists = await door_lists.event_lists(db, event_id=event.id)
    now = utcnow()
    return Template(
        template_name="admin/devices.html",
        context={"event": event, "devices": devices, "link": link, "uses": uses,
                 "link_qr": qr_svg(link) if link else None, "max_uses": pairings.MAX_USES,
                 "links": [(p, _link_state(p), paired_by[p.id]) for p in links],
                 "lists": lists, "list_name": _list_names(lists),
                 "synced": {d.id: ago(d.last_sync_at, now) for d in devices}},
        headers=PRIVATE_HEADERS,
    )  # fmt: skip


def _list_names(lists: list[DoorList]) -> dict[uuid.UUID | None, str]:
    """Each door list's name by id, and "All passes" for none (the default list)."""
    return {None: DEFAULT_LIST_NAME, **{item.id: item.name for item in lists}}


DEFAULT_LIST_NAME = "All passes"
