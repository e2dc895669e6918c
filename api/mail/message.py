"""One email as MIME: plain text and HTML alternatives, with every image inline.

    multipart/related
    ├── multipart/alternative
    │   ├── text/plain      (the pass codes and the link: enough on its own)
    │   └── text/html       (refers to each image as `cid:…`)
    └── image/png …         (Content-ID, Content-Disposition: inline): logo, event image, QRs

Without images (a refund notice of an organizer with no logo) it is just the alternative.
Images travel inside the message (no `data:` URIs, which many clients block, and no remote
images, which need a network and a click): a pass opens in an offline mailbox.
Every header value goes through `api.mail.addresses` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from api.mail.addresses import header_text


@dataclass(frozen=True)
class InlineImage:
    """An image shown in the HTML as `<img src="cid:{cid}">`."""

    cid: str
    data: bytes
    subtype: str
    filename: str


@dataclass(frozen=True)
class Draft:
    """A rendered email before it becomes MIME: who, what, and the images it shows."""

    to: Address
    subject: str
    text: str
    html: str
    images: list[InlineImage] = field(default_factory=list)
    reply_to: Address | None = None


def build(draft: Draft, *, sender: Address) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = draft.to
    if draft.reply_to is not None:
        message["Reply-To"] = draft.reply_to
    message["Subject"] = header_text(draft.subject, limit=250)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    # Tells mail servers and vacation responders that no person wrote this (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(draft.text)
    if not draft.images:
        message.add_alternative(draft.html, subtype="html")
        return message
    # related(text) first, then the text part grows into alternative(text, html).
    message.make_related()
    alternative = message.get_payload(0)
    assert isinstance(alternative, EmailMessage)
    alternative.add_alternative(draft.html, subtype="html")
    for image in draft.images:
        message.add_related(
            image.data,
            "image",
            image.subtype,
            cid=f"<{image.cid}>",
            filename=image.filename,
            disposition="inline",
        )
    return message
