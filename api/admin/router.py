"""The back office's routes: one router for `/admin`, whose guard (`signed_in`) finds the viewer
before any handler runs and whose dependencies (`api.admin.deps`) resolve what the path names.
A browser with no session opening one of its pages is sent to `/admin/sign-in` (SIGN_IN_FIRST).

`/admin/sign-in` itself is outside it (it is where people sign in). Stripe sends staff back from
onboarding to `/stripe/return` and `/stripe/refresh`, addresses Stripe already holds: a second
router with the same guard and dependencies serves them. The operator's JSON API under
`/api/v1/admin` takes HTTP Basic on every request (`operator_guard`) and the same dependencies,
with the operator as `who`.
"""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.datastructures import FormMultiDict
from litestar.di import Provide
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from api.accounts.security_pages import SecurityPages
from api.admin.access import SIGN_IN_FIRST, provide_operator, signed_in
from api.admin.after_sale import AfterSalePages
from api.admin.applications import ApplicationReview
from api.admin.audit import AuditPages
from api.admin.auth import OPERATOR_SECURITY, operator_guard
from api.admin.code_pages import CodePages
from api.admin.controllers import ImageUploads, MoneyController
from api.admin.dashboard import Dashboard
from api.admin.deps import DEPENDENCIES, provide_organizer_in_query
from api.admin.door import DoorPages
from api.admin.door_list_pages import DoorListPages
from api.admin.event_copies import EventCopies
from api.admin.events import EventAdmin
from api.admin.exports import Exports
from api.admin.live import LiveDoor
from api.admin.members import MemberPages
from api.admin.onboarding import OnboardingReturn
from api.admin.orders import OrderPages
from api.admin.organizers import OrganizerPages
from api.admin.overview import EventOverview
from api.admin.question_pages import QuestionPages
from api.admin.report_pages import EventReports
from api.admin.self_service_pages import SelfServiceSettings
from api.admin.waiting_pages import WaitingListPages
from api.organizer_api.pages import ApiKeyPages
from api.outgoing.pages import WebhookPages
from api.partners.pages import PartnerAdmin, event_partners


def close_uploads(app: ASGIApp) -> ASGIApp:
    """Close the files of a multipart form whatever the answer. Litestar closes them after the
    handler, but a guard that refuses the request (after the CSRF check has read the form) raises
    before that cleanup: an upload by a door lead would leave its temporary file open."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            form = ScopeState.from_scope(scope).form
            if form is not Empty:
                await FormMultiDict.from_form_data(form).close()

    return middleware


def _staff_router(path: str, handlers: list[Any], dependencies: dict[str, Any]) -> Router:
    return Router(
        path,
        route_handlers=handlers,
        guards=[signed_in],
        dependencies=dependencies,
        exception_handlers=SIGN_IN_FIRST,
        middleware=[close_uploads],
        include_in_schema=False,
    )


def admin_routers() -> list[Router]:
    """`/admin` (every back-office page), `/stripe` (where Stripe sends staff back) and
    `/api/v1/admin` (the operator's JSON API)."""
    pages = [
        Dashboard, Exports, EventAdmin, EventCopies, DoorPages, DoorListPages, LiveDoor, OrderPages,
        MemberPages, OrganizerPages, AuditPages, ApplicationReview, SelfServiceSettings,
        CodePages,
        EventOverview,
        QuestionPages,
        AfterSalePages,
        WaitingListPages,
        PartnerAdmin,
        event_partners,
        EventReports,
        WebhookPages,
        SecurityPages,
        ApiKeyPages,
    ]  # fmt: skip
    stripe = {**DEPENDENCIES, "organizer": Provide(provide_organizer_in_query)}
    return [
        _staff_router("/admin", pages, DEPENDENCIES),
        _staff_router("/stripe", [OnboardingReturn], stripe),
        Router(
            "/api/v1/admin",
            route_handlers=[MoneyController, ImageUploads],
            guards=[operator_guard],
            dependencies={**DEPENDENCIES, "who": Provide(provide_operator, sync_to_thread=False)},
            security=OPERATOR_SECURITY,
            tags=["admin"],
        ),
    ]
