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
from email import policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from api.mail.addresses import header_text


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, making each header's class once.

    `HeaderRegistry` builds a new class (`type(...)`) every time a header is set or read, and a
    confirmation sets and reads a few dozen: that was half the time of building one (1.7 ms of
    CPU, with two QR images). The class depends only on the header's name.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY = policy.default.clone(header_factory=_HeaderClasses())


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
    message = EmailMessage(policy=POLICY)
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
