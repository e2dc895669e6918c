"""Loopback mail providers for the test suites: no machine here reaches a real one.

`MailApiStandin` speaks the Postmark-style JSON protocol the app's primary provider uses
(`POST /email`, `X-Postmark-Server-Token`, base64 attachments with `cid:` ids), checks requests
the way the service does, and can answer 500, hang, or be unreachable. `SmtpSink` is a real SMTP
server (aiosmtpd) on a loopback port that can be down (connections refused) or refuse messages
(451). Both record what they accepted and let tests wait for it without sleeping.

Lives under tests/ only; the app never imports it.
"""

from tests.mail_standin.api import MailApiStandin
from tests.mail_standin.smtp import Received, SmtpSink

__all__ = ["MailApiStandin", "Received", "SmtpSink"]
