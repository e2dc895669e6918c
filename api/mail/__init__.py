"""Email: the buyer's confirmation with inline QR passes, refund notices, resends, sign-in links.

Messages are durable outbox rows (see `api.outbox.worker`) written in the transaction that causes
them; `deliver` renders one (`content`, templates in `api/templates/mail/`), builds the MIME
(`message`) and sends it through the HTTP API or SMTP (`providers`).
"""

from api.mail.errors import AddressRefused, DeliveryFailed, NotConfigured, Undeliverable
from api.mail.outbox import (
    KINDS,
    NothingToSend,
    Sent,
    deliver,
    list_outbox,
    preview,
    queue_resend,
    release_kept,
)
from api.mail.providers import Mailer

__all__ = [
    "KINDS",
    "AddressRefused",
    "DeliveryFailed",
    "Mailer",
    "NotConfigured",
    "NothingToSend",
    "Sent",
    "Undeliverable",
    "deliver",
    "list_outbox",
    "preview",
    "queue_resend",
    "release_kept",
]
