"""Sending: the primary transactional HTTP API, then SMTP, within one attempt.

Primary: a Postmark-style API, `POST {MAIL_API_URL}/email` with a JSON body (`From`, `To`,
`Subject`, `HtmlBody`, `TextBody`, `Attachments` with base64 `Content` and `cid:` `ContentID`s,
`MessageStream`) and the `X-Postmark-Server-Token` header. It must answer within API_TIMEOUT:
an error, a refusal or a hang falls through to SMTP at once, so one slow provider costs the
buyer seconds, not a retry cycle. Fallback: SMTP through aiosmtplib (STARTTLS, implicit TLS or
plain, with credentials when set). If both fail, `DeliveryFailed` says how each failed and the
outbox runner retries later.

SMTP connections are kept open between messages, one per job sending at once (api.outbox.worker
CONCURRENCY): connecting, EHLO, STARTTLS, AUTH and QUIT for every message were a third of the
worker's SMTP time on loopback, and cost a TLS handshake and several round trips more to a real
relay. A connection idle for SMTP_IDLE_REUSE seconds, or that has carried
SMTP_MESSAGES_PER_CONNECTION messages, is replaced by a new one; a kept connection the server
has closed meanwhile is noticed when the message is sent and the message is sent once more over
a new connection, within the same SMTP_TIMEOUT.

Tokens and passwords never appear in logs or error texts: failures are described by status,
error code and exception type only.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
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
SMTP_IDLE_REUSE = 30.0
"""Seconds an idle SMTP connection is kept for the next message (servers close idle ones: RFC
5321 asks them to wait at least 5 minutes, some relays do not; past this we connect anew)."""
SMTP_MESSAGES_PER_CONNECTION = 100
"""Messages one SMTP connection carries before it is closed (relays limit this, e.g. to 100)."""
SMTP_KEPT_CONNECTIONS = 8
"""Idle SMTP connections a Mailer keeps at most (the worker sends CONCURRENCY at once)."""
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


@dataclass
class _SmtpConnection:
    client: aiosmtplib.SMTP
    idle_since: float = 0.0
    sent: int = 0


class Mailer:
    """The configured providers of one process; keeps the API's connection and SMTP connections
    open between sends."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: httpx.AsyncClient | None = None
        self._smtp_idle: list[_SmtpConnection] = []

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
        try:
            async with asyncio.timeout(SMTP_TIMEOUT):
                kept = self._kept_smtp()
                if kept is not None:
                    try:
                        await self._smtp_message(kept, message)
                        return
                    except aiosmtplib.SMTPServerDisconnected:
                        pass  # closed while idle (or just now): once more, on a new connection
                await self._smtp_message(await self._smtp_connect(), message)
        except TimeoutError:
            raise ProviderError(f"no answer within {SMTP_TIMEOUT:g} s") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}") from None

    def _kept_smtp(self) -> _SmtpConnection | None:
        """The most recently used idle connection still worth trying; older ones are closed."""
        while self._smtp_idle:
            kept = self._smtp_idle.pop()
            if kept.client.is_connected and time.monotonic() - kept.idle_since < SMTP_IDLE_REUSE:
                return kept
            kept.client.close()
        return None

    async def _smtp_connect(self) -> _SmtpConnection:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            timeout=SMTP_TIMEOUT,
        )
        try:
            await client.connect()
        except BaseException:
            client.close()
            raise
        return _SmtpConnection(client)

    async def _smtp_message(self, connection: _SmtpConnection, message: EmailMessage) -> None:
        """Send over `connection`, then keep it for the next message; closed on any failure
        (a refusal included: the next message starts on a clean connection)."""
        try:
            await connection.client.send_message(message)
        except BaseException:
            connection.client.close()
            raise
        connection.sent += 1
        connection.idle_since = time.monotonic()
        if (
            connection.sent >= SMTP_MESSAGES_PER_CONNECTION
            or len(self._smtp_idle) >= SMTP_KEPT_CONNECTIONS
        ):
            await self._smtp_quit(connection)
        else:
            self._smtp_idle.append(connection)

    @staticmethod
    async def _smtp_quit(connection: _SmtpConnection) -> None:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
            async with asyncio.timeout(2):
                await connection.client.quit()
        connection.client.close()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        idle, self._smtp_idle = self._smtp_idle, []
        for connection in idle:
            await self._smtp_quit(connection)
