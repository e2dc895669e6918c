"""The public form at /apply, "Sell tickets with POCtix": an application for the operator to
decide (`api.organizers.applications`), limited per client address."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from api.organizers.applications import FIELDS, ApplicationForm, read_form, submit_application
from api.web.deps import DB
from api.web.ratelimit import rate_limit

APPLY_PER_HOUR = 5
APPLY_LIMIT = rate_limit("apply", per_window=APPLY_PER_HOUR, window_seconds=3600)


class ApplyPages(Controller):
    path = "/apply"
    include_in_schema = False

    @get("/")
    async def form(self) -> Template:
        return _form_page(ApplicationForm(values=dict.fromkeys(FIELDS, "")), status=200)

    @post("/", status_code=303, guards=[APPLY_LIMIT])
    async def submit(self, db: DB, data: URLEncodedBody[dict[str, str]]) -> Redirect | Template:
        form = read_form(data)
        if form.errors:
            return _form_page(form, status=400)
        await submit_application(db, form)
        return Redirect(path="/apply/thanks", status_code=303)

    @get("/thanks")
    async def thanks(self) -> Template:
        return Template(template_name="apply_thanks.html")


def _form_page(form: ApplicationForm, *, status: int) -> Template:
    return Template(
        template_name="apply.html",
        context={"values": form.values, "errors": form.errors},
        status_code=status,
    )
