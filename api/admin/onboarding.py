"""Where Stripe sends the organizer's browser back after (or instead of) onboarding:
`/stripe/return` and `/stripe/refresh`, the addresses `api.payments.onboarding` gives Stripe.

The person coming back is an owner or manager signed in to the dashboard (or the operator): the
charges status is read from Stripe at once (`account.updated` keeps it current later) and they
land on the organizer's members page, which says where onboarding stands. That GET only copies
Stripe's own answer; nothing the visitor chooses changes on a GET here.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Who, money_handlers
from api.admin.deps import ThisOrganizer
from api.db import Organizer
from api.payments.gateway import StripeGateway
from api.payments.onboarding import onboarding_link, refresh_charges
from api.web.deps import DB, AppSettings, Gateway
from api.web.security import NO_STORE


class OnboardingReturn(Controller):
    path = "/"
    guards = [money_handlers]

    @get("/return")
    async def returned(self, db: DB, gateway: Gateway, organizer: ThisOrganizer) -> Redirect:
        ready = await refresh_charges(db, gateway, organizer=organizer)
        state = "ready" if ready else "pending"
        return Redirect(
            path=f"/admin/organizers/{organizer.id}/members?stripe={state}", status_code=303
        )

    @get("/refresh")
    async def refresh_page(self, organizer: ThisOrganizer) -> Template:
        """Stripe sends the browser here when an Account Link expired or was already used.

        Making a new link may create the Connect account, so this GET only shows a button: a
        link or image on another site that opens this URL in a signed-in browser changes nothing.
        """
        return Template(
            template_name="admin/stripe_refresh.html",
            context={"organizer": organizer},
            headers=NO_STORE,
        )

    @post("/refresh", status_code=303)
    async def refresh(
        self, db: DB, who: Who, settings: AppSettings, gateway: Gateway, organizer: ThisOrganizer
    ) -> Redirect:
        """The button of the page above (CSRF-checked like every form): a new Account Link."""
        return await to_stripe(db, gateway, organizer, base_url=settings.base_url, actor=who.who)


async def to_stripe(
    db: AsyncSession, gateway: StripeGateway | None, organizer: Organizer, *, base_url: str,
    actor: str,
) -> Redirect:  # fmt: skip
    """Off to Stripe's onboarding pages (an Account Link, the account made on the first ask):
    the members page's button and the refresh page's."""
    url = await onboarding_link(db, gateway, organizer=organizer, base_url=base_url, actor=actor)
    return Redirect(path=url, status_code=303)
