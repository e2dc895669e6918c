"""Wallet links of one pass, behind the same unguessable order link as `/passes/{order}`.

`/passes/{order}/{pass}/apple.pkpass` answers the signed pass file; `/passes/{order}/{pass}/google`
redirects to a freshly signed "Save to Google Wallet" link (so the passes page stays small and the
JWT's `iat` is recent). Each answers 404 with a plain message when its wallet is not configured.
"""

from __future__ import annotations

import asyncio
import logging

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.params import FromPath
from litestar.response import Redirect

from api.wallet import apple, google
from api.wallet.tickets import WalletSetupError, WalletTicket, find_ticket
from api.web.deps import DB, AppSettings

log = logging.getLogger(__name__)
NOT_FOUND = "No pass at this link. Check the link in your email."
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def _ticket(db: DB, settings: AppSettings, public_id: str, pass_id: str) -> WalletTicket:
    ticket = await find_ticket(
        db, order_public_id=public_id, pass_id=pass_id, secret_key=settings.secret_key
    )
    if ticket is None:
        raise NotFoundException(detail=NOT_FOUND)
    return ticket


def _unavailable(wallet: str, exc: WalletSetupError) -> ServiceUnavailableException:
    log.error("%s passes cannot be made: %s", wallet, exc)
    return ServiceUnavailableException(detail=f"{wallet} passes are not available right now.")


class WalletPassLinks(Controller):
    include_in_schema = False

    @get("/passes/{public_id:str}/{pass_id:str}/apple.pkpass")
    async def apple_pass(
        self, db: DB, settings: AppSettings, public_id: FromPath[str], pass_id: FromPath[str]
    ) -> Response[bytes]:
        if not settings.apple_wallet_enabled:
            raise NotFoundException(detail="Apple Wallet passes are not set up on this site.")
        ticket = await _ticket(db, settings, public_id, pass_id)
        try:
            signer = await asyncio.to_thread(apple.load_signer, settings)
        except WalletSetupError as exc:
            raise _unavailable("Apple Wallet", exc) from exc
        data = await asyncio.to_thread(apple.build_pkpass, ticket, signer=signer)
        filename = f"{ticket.event_slug}-{ticket.pass_id}.pkpass"
        return Response(
            content=data,
            media_type=apple.MEDIA_TYPE,
            headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @get("/passes/{public_id:str}/{pass_id:str}/google", status_code=303)
    async def google_pass(
        self, db: DB, settings: AppSettings, public_id: FromPath[str], pass_id: FromPath[str]
    ) -> Redirect:
        if not settings.google_wallet_enabled:
            raise NotFoundException(detail="Google Wallet passes are not set up on this site.")
        ticket = await _ticket(db, settings, public_id, pass_id)
        try:
            signer = await asyncio.to_thread(google.load_signer, settings)
        except WalletSetupError as exc:
            raise _unavailable("Google Wallet", exc) from exc
        link = google.save_link(ticket, signer=signer, origin=settings.base_url)
        return Redirect(path=link, status_code=303, headers=PRIVATE)
