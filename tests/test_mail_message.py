"""The confirmation email as a mail client sees it: MIME structure, inline images, safe headers."""

from __future__ import annotations

import base64
import io
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, Organizer
from api.formatting import when
from api.mail import AddressRefused
from api.mail.addresses import mailbox, parse_mailbox
from api.mail.images import LOGO_BOX, media_image
from api.mail.message import Draft, InlineImage, build
from api.mail.providers import postmark_json
from api.media.images import store_image
from api.passes import services as passes
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import pages
from tests.jobs import run_jobs
from tests.mail_standin import SmtpSink
from tests.mail_standin.kit import (
    free_event,
    free_order,
    outbox,
    qr_text,
    smtp_sink_fixture,  # noqa: F401  (the `smtp_sink` fixture)
    verified,
    with_mail,
)


def _upload(settings: Settings, size: tuple[int, int], mode: str, color: str) -> str:
    """An image uploaded the way the organizer's dashboard does it; returns its stored name."""
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, "PNG")
    return store_image(buffer.getvalue(), data_dir=settings.data_dir)


def _images(message: EmailMessage) -> dict[str, EmailMessage]:
    found = {}
    for part in message.walk():
        if part.get_content_maintype() == "image":
            assert isinstance(part, EmailMessage)
            found[str(part["Content-ID"]).strip("<>")] = part
    return found


async def test_the_confirmation_is_html_and_text_with_every_image_inline(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    slug, tier = await free_event(db, name="Full Moon Swim")
    event = await db.scalar(select(Event).where(Event.slug == slug))
    assert event is not None
    organizer = await db.get_one(Organizer, event.organizer_id)
    organizer.logo_path = _upload(settings, (600, 200), "RGBA", "navy")
    event.image_path = _upload(settings, (2000, 900), "RGB", "orange")
    await db.commit()
    order = await free_order(
        db,
        settings,
        slug=slug,
        tier_id=tier.id,
        quantity=2,
        name="Kai",
        source_site="AlohaCalendar",
    )
    assert await run_jobs(with_mail(settings, smtp=smtp_sink)) == 1

    [received] = smtp_sink.wait_for(1)
    assert received.recipients == ["buyer@example.com"]
    message = received.message
    assert str(message["To"]) == "Kai <buyer@example.com>"
    assert str(message["From"]) == "Reef Bar tickets <tickets@poctix.test>"
    assert str(message["Reply-To"]) == f"Reef Bar <{organizer.contact_email}>"
    assert str(message["Subject"]) == "Your tickets for Full Moon Swim"
    assert message.get_content_type() == "multipart/related"
    alternative, *inline = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert all(p["Content-Disposition"].startswith("inline") for p in inline)
    images = _images(message)
    assert sorted(images) == ["event@poctix", "logo@poctix", "pass-1@poctix", "pass-2@poctix"]
    assert images["logo@poctix"].get_content_type() == "image/png"
    assert images["event@poctix"].get_content_type() == "image/jpeg"
    # Scaled to what the email shows (twice the CSS size), not the 2000 px upload.
    logo = Image.open(io.BytesIO(images["logo@poctix"].get_content()))
    hero = Image.open(io.BytesIO(images["event@poctix"].get_content()))
    assert (logo.height, hero.width) == (96, 1104)

    plain, html = (p.get_content() for p in alternative.iter_parts())
    shown = pages.parse(html)
    # Every image is attached: none a mail client would fetch from the web or refuse inline.
    assert sorted(pages.values(shown, "img", "src")) == sorted(f"cid:{cid}" for cid in images)
    assert "data:" not in html
    passes_url = f"http://testserver.local/passes/{order.public_id}"
    starts = when(event.starts_at, event.timezone)
    for fact in (passes_url, "Full Moon Swim", "Pier 3", starts, "Purchased on AlohaCalendar",
                 organizer.contact_email):  # fmt: skip
        assert fact in plain
    assert pages.text(shown, "h1") == "Full Moon Swim"
    assert pages.text(shown, "h1 + p strong") == starts
    assert pages.text(shown, "h1 + p").endswith("Pier 3")
    assert "Purchased on AlohaCalendar" in pages.texts(shown, "p")
    assert pages.text(shown, f'a[href="{passes_url}"]') == "View your passes"
    mailto = pages.values(shown, 'a[href^="mailto:"]', "href")
    assert mailto == [f"mailto:{organizer.contact_email}"]
    assert "2 \N{MULTIPLICATION SIGN} General" in pages.texts(shown, "td")
    assert "2 x General: Free" in plain

    issued = await passes.order_passes(db, order_id=order.id)
    expected = {pass_key_text(p.pass_key) for p in issued}
    read = [qr_text(images[f"pass-{n}@poctix"].get_content()) for n in (1, 2)]
    assert {await verified(db, event.id, token) for token in read} == expected
    for token in read:
        assert token in plain
    [row] = await outbox(db, "order_confirmation")
    assert (row.status, row.provider, row.attempts) == ("sent", "smtp", 1)
    assert row.payload["to"] == "buyer@example.com"


async def test_names_with_line_breaks_never_become_headers(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    slug, tier = await free_event(
        db, name="Luau\r\nBcc: spy@evil.example", organizer_name="Reef\nX-Injected: yes"
    )
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=1)
    await db.execute(
        text('UPDATE "order" SET buyer_name = :name WHERE id = :id'),
        {"name": "Eve\r\nBcc: spy@evil.example\r\n\r\nbody", "id": order.id},
    )
    await db.commit()
    assert await run_jobs(with_mail(settings, smtp=smtp_sink)) == 1

    [received] = smtp_sink.wait_for(1)
    assert received.recipients == ["buyer@example.com"]
    message = received.message
    assert sorted(set(message.keys())) == [
        "Auto-Submitted", "Content-Type", "Date", "From", "MIME-Version", "Message-ID",
        "Reply-To", "Subject", "To",
    ]  # fmt: skip
    assert str(message["Subject"]) == "Your tickets for Luau Bcc: spy@evil.example"
    assert str(message["To"]) == '"Eve Bcc: spy@evil.example body" <buyer@example.com>'
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in head
    assert b"\nX-Injected:" not in head
    for part in message.walk():
        assert "Bcc" not in part
        assert "X-Injected" not in part


async def test_an_address_that_does_not_parse_fails_the_row_and_sends_nothing(
    db: AsyncSession, settings: Settings, smtp_sink: SmtpSink
) -> None:
    slug, tier = await free_event(db)
    order = await free_order(db, settings, slug=slug, tier_id=tier.id, quantity=1)
    await db.execute(
        text('UPDATE "order" SET buyer_email = :email WHERE id = :id'),
        {"email": "buyer@example.com\r\nbcc: spy@evil.example", "id": order.id},
    )
    await db.commit()
    assert await run_jobs(with_mail(settings, smtp=smtp_sink)) == 0  # failed for good, not sent
    [row] = await outbox(db, "order_confirmation")
    assert row.status == "failed"
    assert "address" in (row.last_error or "")
    assert smtp_sink.messages == []


@pytest.mark.parametrize(
    "address",
    [
        "buyer@example.com\r\nBcc: spy@evil.example",
        "buyer@example.com, spy@evil.example",
        "Buyer <buyer@example.com>",
        "not an address",
        "buyer@",
        "@example.com",
        "",
    ],
)
def test_anything_but_one_plain_address_is_refused(address: str) -> None:
    with pytest.raises(AddressRefused):
        mailbox(address)


def test_the_sender_setting_must_name_exactly_one_address() -> None:
    assert str(parse_mailbox("POCtix <tickets@localhost>")) == "POCtix <tickets@localhost>"
    for bad in ("a@example.com, b@example.com", "tickets", "POCtix <tickets@localhost>\nBcc: x@y"):
        with pytest.raises(AddressRefused):
            parse_mailbox(bad)


def test_the_api_request_carries_both_bodies_and_each_inline_image() -> None:
    png = b"\x89PNG\r\n\x1a\n fake"
    draft = Draft(
        to=mailbox("buyer@example.com", name="Kai"),
        subject="Your tickets",
        text="plain words",
        html='<p>html words</p><img src="cid:pass-1@poctix">',
        images=[InlineImage(cid="pass-1@poctix", data=png, subtype="png", filename="pass-1.png")],
        reply_to=mailbox("hello@reef.example", name="Reef Bar"),
    )
    body = postmark_json(build(draft, sender=parse_mailbox("POCtix <tickets@poctix.test>")))
    assert body["From"] == "POCtix <tickets@poctix.test>"
    assert body["To"] == "Kai <buyer@example.com>"
    assert body["ReplyTo"] == "Reef Bar <hello@reef.example>"
    assert body["Subject"] == "Your tickets"
    assert body["TextBody"].strip() == "plain words"
    assert body["HtmlBody"].strip() == '<p>html words</p><img src="cid:pass-1@poctix">'
    assert body["MessageStream"] == "outbound"
    assert body["Attachments"] == [
        {
            "Name": "pass-1.png",
            "Content": base64.b64encode(png).decode(),
            "ContentType": "image/png",
            "ContentID": "cid:pass-1@poctix",
        }
    ]


def test_a_missing_or_foreign_image_file_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    Image.new("RGB", (10, 10), "red").save(tmp_path / "outside.png")
    (tmp_path / "media" / "notes.txt").write_text("not an image")
    for name in ("nope.png", "../outside.png", "notes.txt"):
        assert media_image(tmp_path, name, cid="logo@poctix", box=LOGO_BOX) is None


def test_building_many_confirmations_makes_each_header_class_once() -> None:
    """The standard header registry made a new class for every header set or read: half the
    CPU of building a confirmation, under an on-sale burst. Same headers, same wire text."""
    png = b"\x89PNG\r\n\x1a\n fake"

    def one(n: int) -> EmailMessage:
        return build(
            Draft(
                to=mailbox(f"buyer{n}@example.com", name="Kai"),
                subject="Your tickets",
                text="plain words",
                html='<p><img src="cid:pass-1@poctix"></p>',
                images=[
                    InlineImage(cid="pass-1@poctix", data=png, subtype="png", filename="p.png")
                ],
            ),
            sender=parse_mailbox("POCtix <tickets@poctix.test>"),
        )

    first, second = one(1), one(2)
    for name in ("To", "Subject", "Content-Type", "Message-ID"):
        assert type(first[name]) is type(second[name]), name
    [image] = _images(second).values()
    assert (image["Content-ID"], image.get_filename(), image.get_content()) == (
        "<pass-1@poctix>", "p.png", png
    )  # fmt: skip
    assert second["To"] == "Kai <buyer2@example.com>"
    assert b"\r\nTo: Kai <buyer2@example.com>\r\n" in second.as_bytes(
        policy=first.policy.clone(linesep="\r\n")
    )
