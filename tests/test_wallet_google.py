"""Google Wallet: a signed "Save to Google Wallet" link per pass, only with a service account."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import PassStatus
from api.passes import keys, services, tokens
from api.settings import Settings, SettingsError
from tests import pages
from tests.wallet_support import google_service_account, sold_order, wallet_buttons

Client = AsyncTestClient[Litestar]
ISSUER = "3388000000022222222"


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, rsa.RSAPrivateKey]:
    return google_service_account(tmp_path_factory.mktemp("google"))


@pytest.fixture
async def google_client(
    settings: Settings, account: tuple[Path, rsa.RSAPrivateKey]
) -> AsyncIterator[Client]:
    configured = dataclasses.replace(
        settings, google_wallet_issuer_id=ISSUER, google_wallet_service_account=account[0]
    )
    async with AsyncTestClient(app=create_app(configured)) as client:
        yield client


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verified_claims(link: str, key: rsa.RSAPrivateKey) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JWT's header and claims, after checking its RS256 signature with the account's key."""
    prefix = "https://pay.google.com/gp/v/save/"
    assert link.startswith(prefix)
    header, body, signature = link.removeprefix(prefix).split(".")
    # Raises InvalidSignature when the token was not signed by this key.
    key.public_key().verify(
        _unb64(signature), f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return json.loads(_unb64(header)), json.loads(_unb64(body))


async def save_link(client: Client, order_id: str, pass_id: str) -> str:
    response = await client.get(f"/passes/{order_id}/{pass_id}/google", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["cache-control"] == "no-store"
    return response.headers["location"]


async def test_a_save_link_is_a_jwt_signed_by_the_service_account_with_the_ticket(
    google_client: Client,
    db: AsyncSession,
    settings: Settings,
    account: tuple[Path, rsa.RSAPrivateKey],
) -> None:
    event, order, [first, _] = await sold_order(db, settings)
    pass_id = tokens.pass_key_text(first.pass_key)
    header, claims = verified_claims(
        await save_link(google_client, order.public_id, pass_id), account[1]
    )
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "0123456789abcdef"}
    assert claims["iss"] == "wallet@poctix-test.iam.gserviceaccount.com"
    assert claims["aud"] == "google"
    assert claims["typ"] == "savetowallet"
    assert claims["origins"] == ["http://testserver.local"]
    assert abs(claims["iat"] - datetime.now().timestamp()) < 60

    [ticket_class] = claims["payload"]["eventTicketClasses"]
    [ticket] = claims["payload"]["eventTicketObjects"]
    assert ticket_class["id"] == f"{ISSUER}.event-{event.id.hex}"
    assert ticket_class["eventName"]["defaultValue"]["value"] == "Sunset Session"
    assert ticket_class["venue"]["name"]["defaultValue"]["value"] == "Pier 3"
    assert ticket_class["issuerName"] == "Reef Bar"
    start = ticket_class["dateTime"]["start"]
    assert start.endswith("-10:00"), "in the event's zone"
    assert datetime.fromisoformat(start) == event.starts_at.replace(microsecond=0)

    assert ticket["id"] == f"{ISSUER}.{pass_id}"
    assert ticket["classId"] == ticket_class["id"]
    assert ticket["state"] == "ACTIVE"
    assert ticket["ticketHolderName"] == "Ana Kealoha"
    assert ticket["ticketType"]["defaultValue"]["value"] == "Floor"
    assert ticket["barcode"]["type"] == "QR_CODE"
    check = tokens.verify(
        ticket["barcode"]["value"], keys=await keys.event_public_keys(db, event_id=event.id)
    )
    assert check.ok
    assert check.pass_key == first.pass_key


async def test_a_link_signed_by_another_key_does_not_verify(
    google_client: Client,
    db: AsyncSession,
    settings: Settings,
    tmp_path: Path,
) -> None:
    _, order, [first, _] = await sold_order(db, settings)
    link = await save_link(google_client, order.public_id, tokens.pass_key_text(first.pass_key))
    _, stranger = google_service_account(tmp_path)
    with pytest.raises(InvalidSignature):
        verified_claims(link, stranger)


async def test_a_void_pass_is_saved_inactive(
    google_client: Client,
    db: AsyncSession,
    settings: Settings,
    account: tuple[Path, rsa.RSAPrivateKey],
) -> None:
    _, order, [first, _] = await sold_order(db, settings)
    await services.set_status(db, passes=[first], status=PassStatus.void, reason="refunded")
    await db.commit()
    link = await save_link(google_client, order.public_id, tokens.pass_key_text(first.pass_key))
    [ticket] = verified_claims(link, account[1])[1]["payload"]["eventTicketObjects"]
    assert ticket["state"] == "INACTIVE"


async def test_the_passes_page_offers_google_wallet_for_each_valid_pass(
    google_client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, order, passes = await sold_order(db, settings, quantity=3)
    page = await google_client.get(f"/passes/{order.public_id}")
    links = [f"/passes/{order.public_id}/{tokens.pass_key_text(p.pass_key)}/google" for p in passes]
    assert wallet_buttons(page.text) == [
        ("google", link, "Save to Google Wallet") for link in links
    ]


async def test_without_a_service_account_there_is_no_button_and_the_link_is_a_404(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, order, [first, _] = await sold_order(db, settings)
    page = await client.get(f"/passes/{order.public_id}")
    assert wallet_buttons(page.text) == []
    assert "Google Wallet" not in pages.main_text(page.text)
    response = await client.get(
        f"/passes/{order.public_id}/{tokens.pass_key_text(first.pass_key)}/google",
        headers={"accept": "application/json"},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "Google Wallet passes are not set up on this site."


async def test_a_tampered_order_link_gets_no_save_link(
    google_client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, order, [first, _] = await sold_order(db, settings)
    tampered = order.public_id[:-1] + ("A" if order.public_id[-1] != "A" else "B")
    response = await google_client.get(
        f"/passes/{tampered}/{tokens.pass_key_text(first.pass_key)}/google",
        headers={"accept": "application/json"},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert "location" not in response.headers


def test_half_configured_google_wallet_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="GOOGLE_WALLET_SERVICE_ACCOUNT"):
        Settings.from_env({"GOOGLE_WALLET_ISSUER_ID": ISSUER})
