"""The back office's navigation, the same on every dashboard page (`admin/base.html`): Events,
Orders, Door, Reports, Members, Settings, each shown only to those whose role opens it
(`api.admin.access`: orders and reports need owners or managers, members and settings owners;
the operator sees every one, and the organizer applications), with the section the page belongs
to marked `aria-current`.

Members and Settings are an organizer's pages: the nav links those of the organizer in the
address, else of the one organizer the viewer owns; someone who owns several (or the operator)
is sent to the dashboard's list of organizers, where each has its links.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request

from api.admin.access import Viewer

_ORGANIZER = re.compile(r"^/admin/organizers/([0-9a-f-]{36})(/.*)?$")
_EVENT_DOOR = re.compile(r"^/admin/events/[0-9a-f-]{36}/(door|devices|door-lists|conflicts|scans)")
_EVENT_REPORTS = re.compile(r"^/admin/events/[0-9a-f-]{36}/reports")


@dataclass(frozen=True)
class NavLink:
    section: str
    label: str
    href: str
    current: str | None = None
    """`aria-current`: "page" on the page itself, "true" elsewhere in its section, else None."""


def section_of(path: str) -> str:
    """Which section a dashboard address belongs to."""
    path = path.rstrip("/") or "/"
    if path.startswith(("/admin/orders", "/admin/outbox")):
        return "orders"
    if path == "/admin/door" or _EVENT_DOOR.match(path):
        return "door"
    if path.startswith(("/admin/exports", "/admin/reports")) or _EVENT_REPORTS.match(path):
        return "reports"
    organizer = _ORGANIZER.match(path)
    if organizer:
        return "members" if (organizer.group(2) or "").startswith("/members") else "settings"
    if path.startswith("/admin/applications"):
        return "applications"
    return "events"


def _organizer_in(path: str) -> uuid.UUID | None:
    found = _ORGANIZER.match(path)
    return uuid.UUID(found.group(1)) if found else None


def links_for(viewer: Viewer, path: str) -> list[NavLink]:
    """The nav as this viewer sees it on the page at `path`."""
    sales = viewer.is_operator or bool(viewer.money_ids)
    owned = None if viewer.owner_ids is None else sorted(viewer.owner_ids)
    shown = _organizer_in(path)
    organizer: uuid.UUID | None = None
    if shown is not None and viewer.may_manage(shown):
        organizer = shown
    elif owned is not None and len(owned) == 1:
        organizer = owned[0]
    manages = viewer.is_operator or bool(owned)
    items = [("events", "Events", "/admin/")]
    if sales:
        items.append(("orders", "Orders", "/admin/orders/"))
    items.append(("door", "Door", "/admin/door"))
    if sales:
        items.append(("reports", "Reports", "/admin/exports"))
    if manages:
        base = f"/admin/organizers/{organizer}" if organizer else None
        items.append(("members", "Members", f"{base}/members" if base else "/admin/#organizers"))
        items.append(("settings", "Settings", f"{base}/" if base else "/admin/#organizers"))
    if viewer.is_operator:
        items.append(("applications", "Applications", "/admin/applications/"))
    here = section_of(path)
    trimmed = path.rstrip("/")
    return [
        NavLink(
            section=section,
            label=label,
            href=href,
            current=None
            if section != here
            else ("page" if href.split("#")[0].rstrip("/") == trimmed else "true"),
        )
        for section, label, href in items
    ]


def admin_nav(request: Request[Any, Any, Any]) -> list[NavLink]:
    """The nav for the page being rendered; none before the viewer is known (the sign-in page)."""
    viewer = request.state.get("viewer")
    if not isinstance(viewer, Viewer):
        return []
    return links_for(viewer, request.url.path)
