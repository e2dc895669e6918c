"""Organizer logos and event images: checked, re-encoded without metadata, served cached."""

from __future__ import annotations

import base64
import io

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from tests import factories, pages

Client = AsyncTestClient[Litestar]
OPERATOR = "operator:s3cret-operator-pass"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    import dataclasses

    return dataclasses.replace(
        settings, admin_username="operator", admin_password="s3cret-operator-pass"
    )


def auth() -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(OPERATOR.encode()).decode()}


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (3000, 1000), (200, 80, 40))
    exif = Image.Exif()
    exif[0x010E] = "secret studio description"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


async def test_an_event_image_is_reencoded_without_metadata_and_served_cached(
    client: Client, db: AsyncSession
) -> None:
    event = await factories.event(db)
    await db.commit()
    raw = jpeg_with_gps()
    assert b"secret studio description" in raw
    response = await client.put(
        f"/api/v1/admin/events/{event.id}/image",
        files={"data": ("poster.jpg", raw, "image/jpeg")},
        headers=auth(),
    )
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    served = await client.get(url)
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert b"secret studio description" not in served.content
    with Image.open(io.BytesIO(served.content)) as image:
        assert max(image.size) == 2000
        assert not image.getexif()
    page = await client.get(f"/e/{event.slug}")
    assert pages.one(page.text, "main img.hero")["src"] == url


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text", "not a readable PNG, JPEG or WebP image"),
        (b"", "The file is empty."),
        (b"GIF89a" + b"\x00" * 100, "not a readable"),
    ],
)
async def test_bad_uploads_get_a_clear_message(
    client: Client, db: AsyncSession, content: bytes, message: str
) -> None:
    org = await factories.organizer(db)
    await db.commit()
    response = await client.put(
        f"/api/v1/admin/organizers/{org.id}/logo",
        files={"data": ("logo.png", content, "image/png")},
        headers=auth(),
    )
    assert response.status_code == 400
    assert message in response.json()["detail"]


async def test_a_gif_is_refused_as_the_wrong_type(client: Client, db: AsyncSession) -> None:
    org = await factories.organizer(db)
    await db.commit()
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    response = await client.put(
        f"/api/v1/admin/organizers/{org.id}/logo",
        files={"data": ("logo.gif", buffer.getvalue(), "image/gif")},
        headers=auth(),
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Upload a PNG, JPEG or WebP image."


async def test_an_oversized_upload_is_refused(client: Client, db: AsyncSession) -> None:
    org = await factories.organizer(db)
    await db.commit()
    response = await client.put(
        f"/api/v1/admin/organizers/{org.id}/logo",
        files={"data": ("big.png", b"\x89PNG" + b"0" * (6 * 1024 * 1024), "image/png")},
        headers=auth(),
    )
    assert response.status_code in (400, 413)


async def test_uploads_need_the_operator(client: Client, db: AsyncSession) -> None:
    org = await factories.organizer(db)
    await db.commit()
    response = await client.put(
        f"/api/v1/admin/organizers/{org.id}/logo",
        files={"data": ("logo.png", b"x", "image/png")},
    )
    assert response.status_code == 401


@pytest.mark.parametrize("name", ["../secret_key", "x.png", "0" * 32 + ".gif", "%00"])
async def test_media_names_outside_the_store_are_not_found(client: Client, name: str) -> None:
    assert (await client.get(f"/media/{name}")).status_code == 404


async def test_a_form_without_a_file_part_is_a_clear_400(client: Client, db: AsyncSession) -> None:
    # Found by schemathesis: this was a 500 (StopIteration inside Litestar's multipart parsing).
    org = await factories.organizer(db)
    await db.commit()
    response = await client.put(
        f"/api/v1/admin/organizers/{org.id}/logo", files={"w": (None, "[]")}, headers=auth()
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Send the image as a multipart file upload."


def png_claiming(width: int, height: int) -> bytes:
    """A 60-byte PNG whose header claims `width` x `height` pixels: no pixel data follows."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b""))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + idat + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("width", "height", "claimed"),
    [(7_000, 7_000, "49.0 (7000 x 7000)"), (100_000, 100_000, "10000.0 (100000 x 100000)")],
    ids=["49-megapixels-pillow-only-warned", "10000-megapixels"],
)
async def test_an_image_over_40_megapixels_is_refused_from_its_header_before_decoding(
    client: Client, db: AsyncSession, width: int, height: int, claimed: str
) -> None:
    # Issue 14 item 11: 40 Mpx only warned and up to 80 Mpx was decoded.
    org = await factories.organizer(db)
    await db.commit()
    response = await client.put(
        f"/api/v1/admin/organizers/{org.id}/logo",
        files={"data": ("huge.png", png_claiming(width, height), "image/png")},
        headers=auth(),
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        f"Images may have at most 40 megapixels; this one has {claimed}."
    )
