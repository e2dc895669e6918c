"""Sending: the primary transactional HTTP API, then SMTP, within one attempt.

Primary: a Postmark-style API, `POST {MAIL_API_URL}/email` with a JSON body (`From`, `To`,
`Subject`, `HtmlBody`, `TextBody`, `Attachments` with base64 `Content` and `cid:` `ContentID`s,
`MessageStream`) and the `X-Postmark-Server-Token` header. It must answer within API_TIMEOUT:
an error, a refusal or a hang falls through to SMTP at once, so one slow provider costs the
buyer seconds, not a retry cycle. Fallback: SMTP through aiosmtplib (STARTTLS, implicit TLS or
plain, with credentials when set). If both fail, `DeliveryFailed` says how each failed and the
outbox runner retries later.

Tokens and passwords never appear in logs or error texts: failures are described by status,
error code and exception type only.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx

from api.mail.errors import DeliveryFailed, NotConfigured
from api.settings import Settings

log = logging.getLogger(__name__)
API_TIMEOUT = 3.0
SMTP_TIMEOUT = 10.0
MESSAGE_STREAM = "outbound"


class ProviderError(Exception):
    """One provider did not accept the message (the text is safe to log)."""


@dataclass(frozen=True)
class Accepted:
    """The provider that took the message, and how the ones tried before it failed."""

    provider: str
    failures: list[str] = field(default_factory=list)


def postmark_json(message: EmailMessage, *, stream: str = MESSAGE_STREAM) -> dict[str, Any]:
    """The API request body for a message built by `api.mail.message.build`."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    body: dict[str, Any] = {
        "From": str(message["From"]),
        "To": str(message["To"]),
        "Subject": str(message["Subject"]),
        "TextBody": text.get_content() if isinstance(text, EmailMessage) else "",
        "HtmlBody": html.get_content() if isinstance(html, EmailMessage) else "",
        "MessageStream": stream,
    }
    if message["Reply-To"]:
        body["ReplyTo"] = str(message["Reply-To"])
    attachments = []
    for part in message.walk():
        if part.is_multipart() or part is text or part is html:
            continue
        assert isinstance(part, EmailMessage)
        item = {
            "Name": part.get_filename() or "attachment",
            "Content": base64.b64encode(part.get_content()).decode("ascii"),
            "ContentType": part.get_content_type(),
        }
        if cid := part["Content-ID"]:
            item["ContentID"] = "cid:" + str(cid).strip().strip("<>")
        attachments.append(item)
    if attachments:
        body["Attachments"] = attachments
    return body


class Mailer:
    """The configured providers of one process; keeps the API's connection open between sends."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: httpx.AsyncClient | None = None

    @property
    def has_api(self) -> bool:
        return bool(self.settings.mail_api_url and self.settings.mail_api_token)

    @property
    def has_smtp(self) -> bool:
        return bool(self.settings.smtp_host)

    @property
    def configured(self) -> bool:
        return self.has_api or self.has_smtp

    async def send(self, message: EmailMessage) -> Accepted:
        """Deliver through the first provider that accepts it (the API, then SMTP)."""
        if not self.configured:
            raise NotConfigured({})
        failures = []
        if self.has_api:
            try:
                await self._send_api(message)
            except ProviderError as exc:
                failures.append(f"api: {exc}")
                then = "trying SMTP" if self.has_smtp else "no fallback configured"
                log.warning("email API failed (%s); %s", exc, then)
            else:
                return Accepted(provider="api")
        if self.has_smtp:
            try:
                await self._send_smtp(message)
            except ProviderError as exc:
                failures.append(f"smtp: {exc}")
                log.warning("SMTP delivery failed (%s)", exc)
            else:
                return Accepted(provider="smtp", failures=failures)
        raise DeliveryFailed("; ".join(failures))

    async def _send_api(self, message: EmailMessage) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.settings.mail_api_url.rstrip("/"),
                timeout=API_TIMEOUT,
                headers={"Accept": "application/json"},
            )
        headers = {"X-Postmark-Server-Token": self.settings.mail_api_token}
        try:
            async with asyncio.timeout(API_TIMEOUT):
                response = await self._client.post(
                    "/email", json=postmark_json(message), headers=headers
                )
        except TimeoutError:
            raise ProviderError(f"no answer within {API_TIMEOUT:g} s") from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        code = answer.get("ErrorCode") if isinstance(answer, dict) else None
        if response.status_code != 200 or code not in (0, None):
            detail = str(answer.get("Message", ""))[:200] if isinstance(answer, dict) else ""
            raise ProviderError(f"HTTP {response.status_code}, ErrorCode {code}: {detail}")

    async def _send_smtp(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            async with asyncio.timeout(SMTP_TIMEOUT):
                await aiosmtplib.send(
                    message,
                    hostname=s.smtp_host,
                    port=s.smtp_port,
                    username=s.smtp_username or None,
                    password=s.smtp_password or None,
                    use_tls=s.smtp_tls == "tls",
                    start_tls=s.smtp_tls == "starttls",
                    timeout=SMTP_TIMEOUT,
                )
        except TimeoutError:
            raise ProviderError(f"no answer within {SMTP_TIMEOUT:g} s") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
