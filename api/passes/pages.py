"""The buyer's passes to print: `/passes/{order}/passes.pdf` (api/passes/pdf.py).

Behind the same unguessable order link as `/passes/{order}` and kept out of every cache the
same way (`no-store`, no referrer): the file carries codes that admit people.
"""

from __future__ import annotations

import asyncio

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from api.passes import services as passes
from api.passes.pdf import passes_pdf
from api.web.deps import DB, AppSettings
from api.web.security import PRIVATE_HEADERS

NO_ORDER = "No order at this link. Check the link in your email."


class PrintablePasses(Controller):
    include_in_schema = False

    @get("/passes/{public_id:str}/passes.pdf")
    async def passes_pdf(
        self, db: DB, settings: AppSettings, public_id: FromPath[str]
    ) -> Response[bytes]:
        order = await passes.order_by_link(db, public_id)
        if order is None:
            raise NotFoundException(detail=NO_ORDER)
        shown = await passes.shown_passes(db, order=order, secret_key=settings.secret_key)
        if not shown:
            raise NotFoundException(detail="This order has no passes to print (yet).")
        event = order.event
        document = await asyncio.to_thread(
            passes_pdf,
            event=event,
            organizer_name=event.organizer.name,
            order=order,
            passes=shown,
        )
        return Response(
            document,
            media_type="application/pdf",
            headers={
                **PRIVATE_HEADERS,
                "Content-Disposition": f'inline; filename="tickets-{event.slug}.pdf"',
            },
        )
