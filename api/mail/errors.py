"""What can go wrong with an email, as the outbox runner needs to tell it apart.

`NotConfigured`: no provider is set up; the message is kept for the outbox view.
`Undeliverable`: trying again cannot help (the order is gone, the address does not parse).
`DeliveryFailed`: every configured provider failed this time; the runner retries later.
"""

from __future__ import annotations

from typing import Any


class MailError(Exception):
    """Base of the mail package's errors."""


class AddressRefused(MailError, ValueError):
    """An address that does not parse as exactly one `local@domain`."""


class Undeliverable(MailError):
    """The message can never be sent; the outbox row is marked failed."""


class NotConfigured(MailError):
    """No provider is configured. `summary` says what would have been sent (for the view)."""

    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__("no email provider is configured (MAIL_API_URL or SMTP_HOST)")
        self.summary = summary


class DeliveryFailed(MailError):
    """Every configured provider failed; the message says how each one failed."""
