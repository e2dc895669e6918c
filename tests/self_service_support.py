"""Shared steps of the transfer and self-cancellation tests: an event's rules, a paid order,
and the passes page's forms as a browser submits them."""

from __future__ import annotations

import httpx
from bs4 import Tag
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, Pass, SelfServicePolicy, TicketTier
from api.passes.tokens import pass_key_text
from tests.pages import parse
from tests.shop import Shop


async def allow(
    db: AsyncSession, shop: Shop, *, transfers: bool = True, transfer_hours: int = 0,
    cancellation: bool = True, cancel_hours: int = 0, refunds_fee: bool = False,
) -> None:  # fmt: skip
    """The shop's event allows what is asked (as its "Transfers and cancellations" page saves)."""
    tier = await db.get_one(TicketTier, shop.tier_id)
    db.add(
        SelfServicePolicy(
            event_id=tier.event_id, transfers=transfers, transfer_hours=transfer_hours,
            cancellation=cancellation, cancel_hours=cancel_hours, cancel_refunds_fee=refunds_fee,
        )
    )  # fmt: skip
    await db.commit()


async def paid(shop: Shop, quantity: int = 2) -> str:
    """A paid order through checkout and the completion webhook; its public id."""
    session_id, public_id = await shop.checkout(quantity=quantity)
    shop.standin.complete_session(session_id)
    await shop.standin.settle_async()
    return public_id


async def codes(db: AsyncSession, public_id: str) -> list[str]:
    """The order's pass codes in issue order."""
    db.expire_all()
    order = await db.scalar(select(Order).where(Order.public_id == public_id))
    assert order is not None
    items = await db.scalars(
        select(Pass).where(Pass.order_id == order.id).order_by(Pass.change_seq)
    )
    return [pass_key_text(p.pass_key) for p in items]


async def transfer(
    browser: httpx.AsyncClient, public_id: str, code: str, email: str, name: str = ""
) -> httpx.Response:
    """Open the passes page and submit the transfer form of pass `code`."""
    page = await browser.get(f"/passes/{public_id}")
    form = parse(page.text).select_one(f'[data-transfer="{code}"] form')
    assert form is not None, "the pass offers a transfer form"
    token = _form_token(form)
    return await browser.post(
        str(form["action"]),
        data={"_csrf_token": token, "pass": code, "email": email, "name": name},
    )


async def cancel(
    browser: httpx.AsyncClient, public_id: str, *, confirm: bool = True,
    only: list[str] | None = None,
) -> httpx.Response:  # fmt: skip
    """Open the passes page and submit its cancellation form: every ticket it lists (ticked
    already), or with `only` just those."""
    page = await browser.get(f"/passes/{public_id}")
    form = parse(page.text).select_one("#cancel-tickets form")
    assert form is not None, "the page offers the cancellation form"
    listed = [str(box["value"]) for box in form.select('input[name="pass"][checked]')]
    data: dict[str, str | list[str]] = {
        "_csrf_token": _form_token(form), "choose": "1", "pass": listed if only is None else only,
    }  # fmt: skip
    if confirm:
        data["confirm"] = "yes"
    return await browser.post(str(form["action"]), data=data)


def _form_token(form: Tag) -> str:
    field = form.select_one('input[name="_csrf_token"]')
    assert field is not None, "the form carries a CSRF token"
    return str(field["value"])


async def rename(
    browser: httpx.AsyncClient, public_id: str, code: str, name: str
) -> httpx.Response:
    """Open the passes page and submit the name form of pass `code`."""
    page = await browser.get(f"/passes/{public_id}")
    form = parse(page.text).select_one(f'[data-rename="{code}"] form')
    assert form is not None, "the pass offers a name form"
    return await browser.post(
        str(form["action"]), data={"_csrf_token": _form_token(form), "pass": code, "name": name}
    )
