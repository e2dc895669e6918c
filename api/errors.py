"""What a domain operation raises when it cannot do what was asked, in words for the person who
asked. Services raise these and never speak HTTP; `api.web.errors` maps each kind to its status in
one place (JSON for API clients, the error page for people). A page that can show the refusal
beside its form (a form's problems, "the last owner") catches the kinds it shows and lets the rest
go to that map.

- `NotFound` (404): what was named does not exist, or the asker may not know it does.
- `NotAllowed` (403): the asker may see it but not do this.
- `Invalid` (400): what was sent breaks a rule of its own: a form's fields, an image.
- `Refused` (409): a well-formed request that the state of things says no to: the last owner,
  an application already decided, nothing to resend.
- `Unavailable` (502): a service we rely on (Stripe) refused or failed.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """One refusal, with every reason: `messages` (one sentence each), `str()` joins them."""

    status: ClassVar[int] = 409

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)

    @property
    def message(self) -> str:
        return str(self)


class NotFound(DomainError):
    status = 404


class NotAllowed(DomainError):
    status = 403


class Invalid(DomainError):
    status = 400


class Refused(DomainError):
    status = 409


class Unavailable(DomainError):
    status = 502
