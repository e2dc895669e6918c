"""Names and addresses made safe before they reach a mail header.

Display names and subjects come from people (buyers, organizers, event names): control
characters, CR and LF above all, become spaces, so no value can ever start a header of its own.
An address is refused unless it parses as exactly one plain `local@domain`; we never guess what a
malformed address meant, and never pass raw text to a header.

`deliverable` is the same rule as a yes/no for forms (checkout, sign-in, members, applications,
the command line): an address a form accepts is one the mailer will send to, so nobody pays for
tickets whose email can never leave. It is the only address check in the app: import it.
"""

from __future__ import annotations

import functools
import re
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader, HeaderRegistry

from api.mail.errors import AddressRefused

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_REGISTRY = HeaderRegistry()


def header_text(value: str, *, limit: int = 200) -> str:
    """One line of text for a header (a name, a subject): controls become single spaces."""
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def mailbox(address: str, *, name: str = "") -> Address:
    """`name <address>` as a header-ready Address, or AddressRefused."""
    spec = address.strip()
    if not spec or _CONTROL.search(spec) or len(spec) > 254:
        raise AddressRefused("the address is empty, too long or contains control characters")
    try:
        parsed = Address(display_name=header_text(name), addr_spec=spec)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise AddressRefused(f"not an email address: {spec!r}") from exc
    if not parsed.username or not parsed.domain or parsed.addr_spec != spec:
        raise AddressRefused(f"not a plain email address: {spec!r}")
    return parsed


@functools.lru_cache(maxsize=1024)
def deliverable(address: str) -> bool:
    """Whether the mailer will send to `address` and its domain is a dotted name.

    A form asks for the address people will receive mail at: a bare host (`ana@gmail`,
    `a@localhost`) is a typo or a mailbox on this machine, never a buyer's inbox.
    Remembered per address: the email parser costs about 0.3 ms, and a checkout asks twice
    (the details step, then the order).
    """
    try:
        parsed = mailbox(address)
    except AddressRefused:
        return False
    return "." in parsed.domain.strip(".")


def parse_mailbox(text: str) -> Address:
    """`Name <address>` or a bare address (the MAIL_FROM setting) as one Address."""
    if _CONTROL.search(text):
        raise AddressRefused("the address contains control characters")
    header = _REGISTRY("from", text)
    if not isinstance(header, AddressHeader) or header.defects or len(header.addresses) != 1:
        raise AddressRefused(f"not exactly one email address: {text!r}")
    found = header.addresses[0]
    return mailbox(found.addr_spec, name=found.display_name)
