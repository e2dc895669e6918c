"""The event's after-the-sale pages: cancel it (owners only), comps and guest lists, and a
message to its ticket holders. The work is the services' (`api.events.cancellation`,
`api.checkout.comps`, `api.mail.broadcast`); these handlers read forms and show outcomes.

Owners and managers (and the operator) may open them (`money_handlers`: a door lead gets a 403);
cancelling an event is for its owners only, with a confirmation step that names what it
touches and asks for the event's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Who, money_handlers
from api.admin.deps import ThisEvent
from api.checkout import attendees, comps
from api.db import Event
from api.errors import DomainError, Invalid, NotAllowed
from api.events import cancellation, cancellation_progress
from api.events.cache import EventCache
from api.mail import broadcast
from api.media.uploads import UPLOAD_LIMIT, UploadForm, read_upload
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE

Form = URLEncodedBody[dict[str, str]]


def _page(name: str, context: dict[str, Any], *, status: int = 200) -> Template:
    return Template(
        template_name=f"admin/{name}.html", context=context, status_code=status, headers=NO_STORE
    )


@dataclass(frozen=True)
class TicketForm:
    """The comp's tickets' attendee fields, for the comps page."""

    names: str
    tickets: list[attendees.Ticket]
    values: Mapping[str, str]
    errors: Mapping[str, str]


def _owner(who: Who, event: Event) -> None:
    if not who.may_manage(event.organizer_id):
        raise NotAllowed("Only the organizer's owners can cancel an event.")


class AfterSalePages(Controller):
    path = "/events/{event_id:uuid}"
    guards = [money_handlers]

    # -- cancel the event ------------------------------------------------------------------

    @get("/cancel")
    async def cancel_page(self, db: DB, who: Who, event: ThisEvent) -> Template:
        return await _cancel_page(db, who, event, errors=[])

    @post("/cancel", status_code=303)
    async def cancel(
        self, request: Request[Any, Any, Any], db: DB, who: Who, event: ThisEvent, data: Form
    ) -> Template | Redirect:
        _owner(who, event)
        try:
            await cancellation.cancel_event(
                db, event=event, message=data.get("message", ""), confirm=data.get("confirm", ""),
                actor=who.who,
            )  # fmt: skip
        except Invalid as exc:  # refused before anything was read or written
            return await _cancel_page(db, who, event, errors=exc.messages, form=data)
        # This process's page shows it at once; other processes within their cache's second.
        cache: EventCache = request.app.state.event_cache
        cache.forget(slug=event.slug)
        return Redirect(path=f"/admin/events/{event.id}/cancel", status_code=303)

    @post("/cancel/retry", status_code=303)
    async def retry(self, db: DB, who: Who, event: ThisEvent) -> Redirect:
        _owner(who, event)
        record = await cancellation.cancellation_of(db, event_id=event.id)
        if record is not None:
            await cancellation_progress.retry_failed(db, cancellation=record, actor=who.who)
        return Redirect(path=f"/admin/events/{event.id}/cancel", status_code=303)

    # -- comps and guest lists -------------------------------------------------------------

    @get("/comps")
    async def comps_page(self, db: DB, event: ThisEvent) -> Template:
        return await _comps_page(db, event)

    @post("/comps", status_code=200)
    async def issue_comp(
        self, db: DB, who: Who, settings: AppSettings, event: ThisEvent, data: Form
    ) -> Template:
        tiers = await comps.tiers_of(db, event)
        guest, errors = comps.read_guest(
            tiers, name=data.get("name", ""), email=data.get("email", ""),
            tier=data.get("tier", ""), quantity=data.get("quantity", "1"),
        )  # fmt: skip
        if guest is None:
            return await _comps_page(db, event, errors=errors, form=data)
        # The tickets' attendee details, when the event asks any: asked after the guest's
        # fields (their number is known then), read by the checkout's rules (comps.py).
        ask = await attendees.read_asked(db, event=event)
        tickets: list[attendees.Ticket] = []
        if comps.asks_of(ask, guest):
            if data.get(attendees.DETAILS_SENT) != "1":
                tickets = comps.named_tickets(ask, guest)
                values = {t.field_name("name"): t.name for t in tickets}
                details = TicketForm(ask.names, tickets, values, {})
                return await _comps_page(db, event, form=data, details=details)
            read = comps.read_details(ask, guest, data)
            if read.errors:
                details = TicketForm(ask.names, read.tickets, data, read.errors)
                return await _comps_page(db, event, form=data, details=details)
            tickets = read.tickets
        try:
            order = await comps.issue_comp(
                db, event=event, guest=guest, send_email=data.get("send_email") == "on",
                actor=who.who, secret_key=settings.secret_key, tickets=tickets,
            )  # fmt: skip
        except DomainError as exc:
            await _undone(db, event)
            return await _comps_page(db, event, errors=exc.messages, form=data)
        passes = f"{guest.quantity} {guest.tier.name} pass{'es' if guest.quantity != 1 else ''}"
        return await _comps_page(db, event, note=f"Issued {passes} to {guest.name}.", issued=order)

    @post("/comps/import", status_code=200, request_max_body_size=UPLOAD_LIMIT)
    async def import_comps(
        self, db: DB, who: Who, settings: AppSettings, event: ThisEvent, data: UploadForm
    ) -> Template:
        try:
            raw = await read_upload(data, "file", missing="Choose a CSV file to import.")
            report = await comps.import_guests(
                db, event=event, raw=raw, send_email=data.get("send_email") == "on",
                actor=who.who, secret_key=settings.secret_key,
            )  # fmt: skip
        except Invalid as exc:
            return await _comps_page(db, event, errors=exc.messages)
        if report.stopped:  # seats ran out mid-way: that comp's placement was rolled back
            await db.refresh(event)
        return await _comps_page(db, event, report=report)

    # -- email the ticket holders ----------------------------------------------------------

    @get("/message")
    async def message_page(self, db: DB, event: ThisEvent) -> Template:
        return await _message_page(db, event, form={})

    @post("/message/preview", status_code=200)
    async def preview(
        self, db: DB, settings: AppSettings, event: ThisEvent, data: Form
    ) -> Template:
        tiers = await comps.tiers_of(db, event)
        try:
            message = broadcast.read_message(
                tiers, subject=data.get("subject", ""), body=data.get("body", ""),
                tier=data.get("tier", ""),
            )  # fmt: skip
        except Invalid as exc:
            return await _message_page(db, event, form=data, errors=exc.messages)
        to = await broadcast.recipients(db, event=event, tier=message.tier)
        draft = await broadcast.preview(db, message=message, to=to, settings=settings)
        return await _message_page(db, event, form=data, to=to, draft=draft, message=message)

    @post("/message/send", status_code=200)
    async def send(self, db: DB, who: Who, event: ThisEvent, data: Form) -> Template:
        tiers = await comps.tiers_of(db, event)
        confirmed = data.get("count", "")
        try:
            message = broadcast.read_message(
                tiers, subject=data.get("subject", ""), body=data.get("body", ""),
                tier=data.get("tier", ""),
            )  # fmt: skip
            record = await broadcast.send(
                db, event=event, message=message, actor=who.who,
                confirmed=int(confirmed) if confirmed.isascii() and confirmed.isdigit() else -1,
            )  # fmt: skip
        except DomainError as exc:
            await _undone(db, event)
            return await _message_page(db, event, form=data, errors=exc.messages)
        note = f"Queued {record.recipients} email{'s' if record.recipients != 1 else ''}."
        return await _message_page(db, event, form={}, note=note)


async def _undone(db: AsyncSession, event: Event) -> None:
    """Roll back what a refused action began, and read the event again (a rollback expires it)."""
    await db.rollback()
    await db.refresh(event)


async def _cancel_page(
    db: AsyncSession, who: Who, event: Event, *, errors: list[str],
    form: dict[str, str] | None = None,
) -> Template:  # fmt: skip
    record = await cancellation.cancellation_of(db, event_id=event.id)
    context: dict[str, Any] = {
        "event": event, "errors": errors, "form": form or {}, "record": record,
        "owner": who.may_manage(event.organizer_id),
    }  # fmt: skip
    if record is None:
        context["affected"] = await cancellation.affected(db, event=event)
        context["currency"] = event.currency
    else:
        context["progress"] = await cancellation_progress.progress(db, cancellation=record)
    return _page("event_cancel", context, status=400 if errors else 200)


async def _comps_page(
    db: AsyncSession, event: Event, *, errors: list[str] | None = None,
    form: dict[str, str] | None = None, note: str = "", issued: Any = None,
    report: comps.ImportReport | None = None, details: TicketForm | None = None,
) -> Template:  # fmt: skip
    context = {
        "event": event, "tiers": await comps.tiers_of(db, event),
        "comps": await comps.comps_of(db, event=event), "errors": errors or [],
        "form": form or {}, "note": note, "issued": issued, "report": report,
        "details": details,
    }  # fmt: skip
    refused = errors or (report is not None and report.errors) or (details and details.errors)
    status = 400 if refused else 200
    return _page("comps", context, status=status)


async def _message_page(
    db: AsyncSession, event: Event, *, form: dict[str, str], errors: list[str] | None = None,
    to: broadcast.Recipients | None = None, draft: Any = None,
    message: broadcast.Message | None = None, note: str = "",
) -> Template:  # fmt: skip
    context = {
        "event": event, "tiers": await comps.tiers_of(db, event), "form": form,
        "errors": errors or [], "to": to, "draft": draft, "message": message, "note": note,
        "sent": await broadcast.sent_messages(db, event=event),
    }  # fmt: skip
    return _page("message", context, status=400 if errors else 200)
