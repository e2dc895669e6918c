"""Apple Wallet: a signed .pkpass per pass, offered only when a pass type id is configured."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs7
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import PassStatus
from api.passes import keys, services, tokens
from api.settings import Settings, SettingsError
from api.wallet import apple
from api.wallet.tickets import WalletSetupError
from tests import pages
from tests.wallet_support import (
    AppleChain,
    apple_chain,
    apple_settings,
    sold_order,
    wallet_buttons,
)

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> AppleChain:
    return apple_chain(tmp_path_factory.mktemp("apple"))


@pytest.fixture
async def apple_client(settings: Settings, chain: AppleChain) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(apple_settings(settings, chain))) as client:
        yield client


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def openssl_verifies(folder: Path, files: dict[str, bytes], chain: AppleChain) -> bool:
    """openssl checks the detached signature over manifest.json and the chain to the test root,
    which it can only build through the WWDR certificate carried in the signature."""
    (folder / "manifest.json").write_bytes(files["manifest.json"])
    (folder / "signature").write_bytes(files["signature"])
    result = subprocess.run(
        [
            "openssl", "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(folder / "signature"), "-content", str(folder / "manifest.json"),
            "-CAfile", str(chain.root_pem), "-purpose", "any", "-out", str(folder / "out"),
        ],
        capture_output=True,
        check=False,
    )  # fmt: skip
    return result.returncode == 0


async def test_an_apple_wallet_pass_carries_the_token_the_event_and_a_valid_signature(
    apple_client: Client, db: AsyncSession, settings: Settings, chain: AppleChain, tmp_path: Path
) -> None:
    event, order, [first, _] = await sold_order(db, settings)
    pass_id = tokens.pass_key_text(first.pass_key)
    response = await apple_client.get(f"/passes/{order.public_id}/{pass_id}/apple.pkpass")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.apple.pkpass"
    assert response.headers["cache-control"] == "no-store"
    assert f"{pass_id}.pkpass" in response.headers["content-disposition"]

    files = unzip(response.content)
    assert {"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png", "logo.png"} <= (
        set(files)
    )
    document = json.loads(files["pass.json"])
    assert document["formatVersion"] == 1
    assert document["passTypeIdentifier"] == "pass.test.poctix"
    assert document["teamIdentifier"] == "TEAM123456"
    assert document["serialNumber"] == pass_id
    assert document["organizationName"] == "Reef Bar"
    assert "voided" not in document
    assert "locations" not in document, "the event has no coordinates to offer"
    ticket = document["eventTicket"]
    fields = {
        f["key"]: f["value"]
        for group in ("primaryFields", "secondaryFields", "auxiliaryFields")
        for f in ticket[group]
    }
    assert fields["event"] == "Sunset Session"
    assert fields["tier"] == "Floor"
    assert fields["venue"] == "Pier 3"
    assert fields["holder"] == "Ana Kealoha"
    assert fields["starts"].endswith("-10:00"), "shown in Honolulu time"
    assert fields["starts"] == document["relevantDate"]
    assert document["relevantDates"] == [
        {"startDate": fields["starts"], "endDate": document["expirationDate"]}
    ]
    assert datetime.fromisoformat(fields["starts"]) == event.starts_at.replace(microsecond=0)

    barcode = document["barcodes"][0]
    assert barcode["format"] == "PKBarcodeFormatQR"
    assert barcode["messageEncoding"] == "iso-8859-1"
    assert document["barcode"] == barcode
    check = tokens.verify(
        barcode["message"], keys=await keys.event_public_keys(db, event_id=event.id)
    )
    assert check.ok
    assert check.pass_key == first.pass_key

    manifest = json.loads(files["manifest.json"])
    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name], usedforsecurity=False).hexdigest() == digest, name

    assert openssl_verifies(tmp_path, files, chain)
    carried = pkcs7.load_der_pkcs7_certificates(files["signature"])
    assert chain.wwdr in carried
    assert chain.signing in carried


async def test_a_tampered_manifest_no_longer_matches_the_signature(
    apple_client: Client, db: AsyncSession, settings: Settings, chain: AppleChain, tmp_path: Path
) -> None:
    _, order, [first, _] = await sold_order(db, settings)
    pass_id = tokens.pass_key_text(first.pass_key)
    files = unzip(
        (await apple_client.get(f"/passes/{order.public_id}/{pass_id}/apple.pkpass")).content
    )
    files["manifest.json"] = files["manifest.json"].replace(b'"', b"'", 1)
    assert not openssl_verifies(tmp_path, files, chain)


async def test_a_refunded_pass_downloads_as_voided(
    apple_client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, order, [first, second] = await sold_order(db, settings)
    await services.set_status(db, passes=[first], status=PassStatus.void, reason="refunded")
    await db.commit()
    void = await apple_client.get(
        f"/passes/{order.public_id}/{tokens.pass_key_text(first.pass_key)}/apple.pkpass"
    )
    valid = await apple_client.get(
        f"/passes/{order.public_id}/{tokens.pass_key_text(second.pass_key)}/apple.pkpass"
    )
    assert json.loads(unzip(void.content)["pass.json"])["voided"] is True
    assert "voided" not in json.loads(unzip(valid.content)["pass.json"])


async def test_the_passes_page_offers_apple_wallet_for_each_valid_pass_only(
    apple_client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, order, [first, second] = await sold_order(db, settings)
    await services.set_status(db, passes=[first], status=PassStatus.void, reason="refunded")
    await db.commit()
    page = await apple_client.get(f"/passes/{order.public_id}")
    link = f"/passes/{order.public_id}/{tokens.pass_key_text(second.pass_key)}/apple.pkpass"
    assert wallet_buttons(page.text) == [("apple", link, "Add to Apple Wallet")]
    assert (await apple_client.get(link)).status_code == 200


async def test_without_apple_configuration_there_is_no_button_and_the_file_is_a_404(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, order, [first, _] = await sold_order(db, settings)
    page = await client.get(f"/passes/{order.public_id}")
    assert page.status_code == 200
    assert wallet_buttons(page.text) == []
    assert "Apple Wallet" not in pages.main_text(page.text)
    response = await client.get(
        f"/passes/{order.public_id}/{tokens.pass_key_text(first.pass_key)}/apple.pkpass",
        headers={"accept": "application/json"},
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "Apple Wallet passes are not set up on this site."


async def test_a_tampered_order_link_or_another_orders_pass_is_a_404(
    apple_client: Client, db: AsyncSession, settings: Settings
) -> None:
    _, order, [first, _] = await sold_order(db, settings)
    _, other, [foreign, _] = await sold_order(db, settings)
    pass_id = tokens.pass_key_text(first.pass_key)
    tampered = order.public_id[:-1] + ("A" if order.public_id[-1] != "A" else "B")
    for path in (
        f"/passes/{tampered}/{pass_id}/apple.pkpass",
        f"/passes/{order.public_id}/{tokens.pass_key_text(foreign.pass_key)}/apple.pkpass",
        f"/passes/{other.public_id}/{pass_id}/apple.pkpass",
        f"/passes/{order.public_id}/NOT-A-PASS-ID/apple.pkpass",
    ):
        response = await apple_client.get(path, headers={"accept": "application/json"})
        assert response.status_code == 404, path
        assert "No pass at this link" in response.json()["detail"]


async def test_an_unreadable_certificate_answers_503_and_names_the_setting_in_the_log(
    db: AsyncSession, settings: Settings, chain: AppleChain, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    broken = apple_settings(settings, chain, apple_pass_cert=tmp_path / "missing.pem")
    _, order, [first, _] = await sold_order(db, settings)
    async with AsyncTestClient(app=create_app(broken)) as client:
        response = await client.get(
            f"/passes/{order.public_id}/{tokens.pass_key_text(first.pass_key)}/apple.pkpass",
            headers={"accept": "application/json"},
        )
    assert response.status_code == 503
    assert "missing.pem" not in response.text
    assert "APPLE_PASS_CERT=" in caplog.text


def test_an_encrypted_key_is_read_with_its_password_which_never_appears_in_errors(
    settings: Settings, tmp_path: Path
) -> None:
    locked = apple_chain(tmp_path, password=b"s3cret-pass")
    signer = apple.load_signer(
        apple_settings(settings, locked, apple_pass_key_password="s3cret-pass")
    )
    assert signer.certificate == locked.signing
    wrong = apple_settings(settings, locked, apple_pass_key_password="wrong-password")
    with pytest.raises(WalletSetupError, match="APPLE_PASS_KEY=") as failure:
        apple.load_signer(wrong)
    assert "wrong-password" not in str(failure.value)
    assert "wrong-password" not in repr(wrong)


def test_a_key_that_does_not_belong_to_the_certificate_is_refused(
    settings: Settings, chain: AppleChain, tmp_path: Path
) -> None:
    other = apple_chain(tmp_path)
    with pytest.raises(WalletSetupError, match="is not the key of APPLE_PASS_CERT"):
        apple.load_signer(apple_settings(settings, chain, apple_pass_key=other.key_pem))


def test_half_configured_apple_wallet_is_refused_at_start_naming_what_is_missing() -> None:
    with pytest.raises(SettingsError, match="APPLE_PASS_CERT, APPLE_WWDR_CERT"):
        Settings.from_env({"APPLE_PASS_TYPE_ID": "pass.x", "APPLE_TEAM_ID": "T"})
    assert not Settings.from_env({}).apple_wallet_enabled
