"""The platform operator's JSON API (`/api/v1/admin`, HTTP Basic on every request, see
`api.admin.router`): refund an order, email its tickets again, start an organizer's Stripe
onboarding, upload a logo or an event image. The operations are the dashboard's own
(`api.payments.refunds`, `api.mail.resend`, `api.payments.onboarding`, `api.events.editing`);
their refusals answer through the one error map (`api.web.errors`).

A refund started here only asks Stripe (with `reverse_transfer` and an idempotency key); the
passes are voided by the `charge.refunded`/`refund.*` webhooks, exactly as for a refund started
in the Stripe dashboard, the CLI or by a chargeback. Free orders never touched Stripe: they
are cancelled here directly.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, post, put
from litestar.params import Body

from api import audit
from api.admin.access import Who
from api.admin.deps import ThisEvent, ThisOrder, ThisOrganizer
from api.checkin.wire import PASS_ID_PATTERN, PassId
from api.events.editing import replace_image
from api.mail.resend import resend_tickets
from api.media.images import store_image
from api.media.uploads import UPLOAD_LIMIT, UploadForm, read_upload
from api.payments.onboarding import onboarding_link
from api.payments.refunds import request_refund
from api.web.deps import DB, AppSettings, Gateway
from api.web.errors import error_responses


class RefundRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Minor units; default: the whole remaining amount, or the named passes' prices."""
    passes: Annotated[
        list[PassId],
        # Restated for OpenAPI, which drops the constraints of a list's items.
        msgspec.Meta(
            max_length=100,
            extra_json_schema={"extra": {"items": {"type": "string", "pattern": PASS_ID_PATTERN}}},
        ),
    ] = []
    """Pass ids (18 characters) to void with a partial refund."""
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


# Litestar's OpenAPI does not carry `forbid_unknown_fields` over: say it, so clients (and the
# fuzzer) know a misspelt field is refused rather than ignored.
RefundBody = Annotated[RefundRequest, Body(schema_extra={"additionalProperties": False})]


class RefundAccepted(msgspec.Struct):
    status: str
    """`requested` (Stripe will confirm by webhook) or `cancelled` (a free order)."""
    refund_id: str | None
    detail: str


class Queued(msgspec.Struct):
    detail: str
    status: str = "queued"


class OnboardingLink(msgspec.Struct):
    url: str


class Stored(msgspec.Struct):
    url: str


class MoneyController(Controller):
    path = "/"

    @post(
        "/orders/{public_id:str}/refund",
        status_code=202,
        summary="Refund an order",
        responses=error_responses(400, 401, 403, 404, 409, 415, 429, 502),
    )
    async def refund(
        self, db: DB, who: Who, gateway: Gateway, order: ThisOrder, data: RefundBody
    ) -> RefundAccepted:
        started = await request_refund(
            db, gateway, order=order, amount=data.amount, passes=data.passes,
            reason=data.reason, actor=who.who,
        )  # fmt: skip
        return RefundAccepted(
            status=started.status, refund_id=started.refund_id, detail=started.detail
        )

    @post(
        "/orders/{public_id:str}/resend",
        status_code=202,
        summary="Email the tickets again",
        responses=error_responses(401, 403, 404, 409, 415, 429),
    )
    async def resend(self, db: DB, who: Who, order: ThisOrder) -> Queued:
        buyer = order.buyer_email
        await resend_tickets(db, order=order, organizer_id=order.event.organizer_id, actor=who.who)
        return Queued(detail=f"The tickets go to {buyer} again.")

    @post(
        "/organizers/{organizer_id:uuid}/stripe/onboarding",
        status_code=201,
        summary="Create (or continue) the organizer's Stripe onboarding",
        responses=error_responses(401, 403, 404, 409, 415, 429, 502),
    )
    async def onboarding(
        self, db: DB, who: Who, settings: AppSettings, gateway: Gateway, organizer: ThisOrganizer
    ) -> OnboardingLink:
        url = await onboarding_link(
            db, gateway, organizer=organizer, base_url=settings.base_url, actor=who.who
        )
        return OnboardingLink(url=url)


UPLOAD_ERRORS = error_responses(400, 401, 403, 404, 413, 415, 429)


class ImageUploads(Controller):
    path = "/"
    request_max_body_size = UPLOAD_LIMIT

    @put(
        "/organizers/{organizer_id:uuid}/logo",
        summary="Upload the organizer's logo",
        responses=UPLOAD_ERRORS,
    )
    async def logo(
        self, db: DB, who: Who, settings: AppSettings, organizer: ThisOrganizer, data: UploadForm
    ) -> Stored:
        organizer.logo_path = store_image(await _image(data), data_dir=settings.data_dir)
        audit.record(db, organizer_id=organizer.id, actor=who.who, action="logo.uploaded",
                     details={"image": organizer.logo_path})  # fmt: skip
        await db.commit()
        return Stored(url=f"/media/{organizer.logo_path}")

    @put(
        "/events/{event_id:uuid}/image",
        summary="Upload the event's image",
        responses=UPLOAD_ERRORS,
    )
    async def event_image(
        self, db: DB, who: Who, settings: AppSettings, event: ThisEvent, data: UploadForm
    ) -> Stored:
        raw = await _image(data)
        name = await replace_image(db, event=event, raw=raw, settings=settings, actor=who.who)
        return Stored(url=f"/media/{name}")


async def _image(data: UploadForm) -> bytes:
    return await read_upload(data, None, missing="Send the image as a multipart file upload.")
