"""Helpers for the door-scanner suites: passes and pairing links straight from the database,
and a fake camera file (Y4M) that shows a real pass QR."""

from __future__ import annotations

import io
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.door_lists import ListFields, save_list
from api.checkin.services import create_pairing, revoke_device
from api.db import (
    Event,
    Order,
    OrderLine,
    OrderStatus,
    Pass,
    PassStatus,
    Scan,
    ScannerDevice,
    TicketTier,
)
from api.db.engine import create_engine, session_factory
from api.passes import keys, services, tokens
from api.passes.tokens import pass_key_text
from e2e.conftest import LiveApp

DEMO = "full-moon"


@asynccontextmanager
async def session_for(app: LiveApp) -> AsyncIterator[AsyncSession]:
    engine = create_engine(app.database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def demo_event(session: AsyncSession) -> Event:
    event = await session.scalar(select(Event).where(Event.slug == DEMO))
    assert event is not None
    return event


async def demo_tokens(app: LiveApp) -> list[str]:
    """Tokens of the demo event's passes, oldest first."""
    async with session_for(app) as session:
        event = await demo_event(session)
        passes = await session.scalars(
            select(Pass).where(Pass.event_id == event.id).order_by(Pass.change_seq)
        )
        return [
            await services.pass_token(session, item=item, secret_key=app.secret_key)
            for item in passes
        ]


async def void_pass(app: LiveApp, token: str, *, reason: str = "refunded") -> None:
    async with session_for(app) as session:
        item = await _pass_for(session, token)
        await services.set_status(session, passes=[item], status=PassStatus.void, reason=reason)
        await session.commit()


async def issue_pass(app: LiveApp) -> str:
    """Sell one more free pass (as checkout will), and return its token."""
    async with session_for(app) as session:
        event = await demo_event(session)
        tier = await session.scalar(
            select(TicketTier).where(TicketTier.event_id == event.id, TicketTier.price_minor == 0)
        )
        assert tier is not None
        order = Order(
            public_id=secrets.token_urlsafe(16),
            event_id=event.id,
            buyer_email="late@example.com",
            status=OrderStatus.paid,
        )
        session.add(order)
        await session.flush()
        session.add(OrderLine(order_id=order.id, tier_id=tier.id, quantity=1, unit_price_minor=0))
        tier.sold += 1
        [item] = await services.issue_passes(
            session, order=order, tier_id=tier.id, count=1, secret_key=app.secret_key
        )
        token = await services.pass_token(session, item=item, secret_key=app.secret_key)
        await session.commit()
        return token


async def forged_token(app: LiveApp) -> str:
    """A token under the demo event's key id, signed by someone else's key."""
    async with session_for(app) as session:
        event = await demo_event(session)
        key = await keys.active_key(session, event_id=event.id, secret_key=app.secret_key)
        return tokens.issue(
            private_key=Ed25519PrivateKey.generate(), kid=key.kid, pass_key=tokens.new_pass_key()
        )


def other_event_token() -> str:
    return tokens.issue(
        private_key=Ed25519PrivateKey.generate(), kid=12345, pass_key=tokens.new_pass_key()
    )


async def pairing_url(
    app: LiveApp,
    door: str = "Door",
    *,
    uses: int = 1,
    door_list_id: uuid.UUID | None = None,
    may_search: bool = False,
) -> str:
    """A pairing link for the demo event: for `uses` phones, bound to a door list (default: the
    default list), "scan and search" with `may_search`."""
    async with session_for(app) as session:
        event = await demo_event(session)
        pairing = await create_pairing(
            session,
            event_id=event.id,
            door=door,
            uses=uses,
            door_list_id=door_list_id,
            may_search=may_search,
        )
        await session.commit()
        return f"{app.url}/scan#pair={pairing.code}"


async def door_list(
    app: LiveApp,
    name: str,
    *,
    tiers: list[str] | None = None,
    reentry: bool = False,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    list_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A door list of the demo event as the organizer saves it (a new one, or a change to
    `list_id`): the tiers it admits by name (None: every tier), its window, and whether a pass
    that went out may come back in."""
    async with session_for(app) as session:
        event = await demo_event(session)
        tier_ids = None
        if tiers is not None:
            found = await session.execute(
                select(TicketTier.name, TicketTier.id).where(TicketTier.event_id == event.id)
            )
            by_name = {name: tier_id for name, tier_id in found.all()}
            tier_ids = [by_name[tier] for tier in tiers]
        saved = await save_list(
            session,
            event=event,
            fields=ListFields(name, tier_ids, opens_at, closes_at, reentry),
            actor="e2e",
            list_id=list_id,
        )
        await session.commit()
        return saved.id


async def remove_device(app: LiveApp, door: str) -> None:
    """The organizer removes the phone paired as `door` from the door (its token stops)."""
    async with session_for(app) as session:
        event = await demo_event(session)
        device = await session.scalar(
            select(ScannerDevice).where(
                ScannerDevice.event_id == event.id, ScannerDevice.name == door
            )
        )
        assert device is not None
        await revoke_device(session, event=event, device_id=device.id, actor="e2e")
        await session.commit()


async def scan_way(page: Page, direction: str) -> None:
    """Switch the scanner's In/Out toggle ("in" or "out")."""
    await page.locator(f"#direction-{direction}").click()
    await expect(page.locator(f"#direction-{direction}")).to_have_attribute("aria-pressed", "true")


async def stored_scans(app: LiveApp) -> list[Scan]:
    async with session_for(app) as session:
        rows = await session.scalars(select(Scan).order_by(Scan.device_id, Scan.seq))
        return list(rows)


async def pass_key_of(token: str) -> bytes:
    check = tokens.decode(token)
    assert check.pass_key is not None
    return check.pass_key


async def pass_id_of(token: str) -> str:
    """The pass id a phone knows the token's pass by (its reference on the dashboard)."""
    return pass_key_text(await pass_key_of(token))


async def _pass_for(session: AsyncSession, token: str) -> Pass:
    item = await session.scalar(select(Pass).where(Pass.pass_key == await pass_key_of(token)))
    assert item is not None
    return item


async def pair(context: BrowserContext, url: str, door: str) -> Page:
    """Open a pairing link on a 'phone', name the door, and wait until it is ready to scan."""
    page = await context.new_page()
    await page.goto(url)
    await page.locator("#pair-name").fill(door)
    await page.locator("#pair-submit").click()
    await expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)
    await expect(page.locator("#door-name")).to_have_text(door)
    # Installed, precached and in control: from here the phone may lose its network.
    await page.wait_for_function(
        "async () => Boolean((await navigator.serviceWorker.ready) && "
        "navigator.serviceWorker.controller)",
        timeout=30_000,
    )
    return page


@asynccontextmanager
async def paired_phones(
    browser: Browser, url: str, *doors: str
) -> AsyncIterator[tuple[list[BrowserContext], list[Page]]]:
    """A phone per door (a browser context of its own, service workers on) paired through the
    link `url`: yields the phones and their scanner pages, and closes the phones after."""
    phones: list[BrowserContext] = []
    try:
        pages = []
        for name in doors:
            phone = await browser.new_context(service_workers="allow")
            phones.append(phone)
            pages.append(await pair(phone, url, name))
        yield phones, pages
    finally:
        for phone in phones:
            await phone.close()


async def enter(page: Page, code: str) -> None:
    """Type a code into the manual field and wait for the verdict it causes."""
    verdict = page.locator("#verdict")
    before = int(await verdict.get_attribute("data-count") or "0")
    await page.locator("#manual-code").fill(code)
    await page.locator("#manual-submit").click()
    await expect(verdict).to_have_attribute("data-count", str(before + 1))


def write_y4m(path: Path, text: str, *, frames: int = 10) -> Path:
    """A 640x480 Y4M video of the QR for `text`, for Chromium's fake camera (it loops)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=8)
    qr.add_data(text)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    code.thumbnail((440, 440))
    canvas = Image.new("L", (640, 480), 255)
    canvas.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    luma = canvas.tobytes()
    chroma = bytes([128]) * (320 * 240)
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


async def qr_texts(page: Page) -> list[str]:
    """Read every QR (`.qr`) on the page from a screenshot, as a phone camera would."""
    import zxingcpp

    found = []
    for qr in await page.locator(".qr").all():
        image = Image.open(io.BytesIO(await qr.screenshot())).convert("L")
        found.extend(result.text for result in zxingcpp.read_barcodes(image))
    return found


async def sign_in(page: Page, app: LiveApp, email: str, *, url: str | None = None) -> None:
    """Ask for a sign-in link on /login (of `url`, default the app's public one), take it from
    the outbox as the mail would carry it, and confirm it; returns once the browser has left
    the confirm page."""
    url = url or app.url
    from api.accounts.services import unseal
    from api.db import OutboxMessage

    await page.goto(f"{url}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await expect(page.locator("main")).to_contain_text("link")
    async with session_for(app) as session:
        row = await session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "login_link")
            .order_by(OutboxMessage.created_at.desc())
        )
        assert row is not None
        token = unseal(row.payload["sealed_token"], secret_key=app.secret_key)
    await page.goto(f"{url}/login/confirm?token={token}")
    await page.locator("#confirm-sign-in").click()
    await page.wait_for_url(lambda url: "/login" not in url)
