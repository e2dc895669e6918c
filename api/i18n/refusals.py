"""What a buyer is refused, in their language: the checkout's, the codes' and the waiting list's
refusals are written in English where they are raised (api/checkout/services.py, codes.py,
api/waiting/services.py; tests and logs read that English), and translated where a page shows
them: `{{ error | refusal }}`; the error page's titles too (api/web/errors.py).

Each entry below is a refusal's English wording with its parameters as `%(name)s`: the message
shown is matched against it (the parameters are whatever stood in their place: a tier's name, a
date) and the catalogue's translation is filled with them. A message no entry matches (a new
one, or an organizer's own words) is shown as it is. `_` here only marks the wording for
`make translations`; the translation happens at render time, in the request's language.
"""

from __future__ import annotations

import functools
import re

from api.i18n import catalogues
from api.i18n.context import DEFAULT, current


def _(message: str) -> str:
    """Marks a refusal for extraction (gettext_noop); translated by `translate`."""
    return message


REFUSALS: tuple[str, ...] = (
    # checkout (api/checkout/services.py)
    _("Quantity for %(tier)s must be a whole number."),
    _("At most %(count)s %(tier)s tickets per order."),
    _("This event is cancelled: no tickets are sold."),
    _("Enter a valid email address: your tickets are sent there."),
    _("The name contains characters we cannot use."),
    _("Choose at least one ticket."),
    _("Sales have ended for %(tier)s."),
    _("Sales for %(tier)s open at %(when)s."),
    _("Sold out: not enough %(tier)s tickets left."),
    _("Card payments are not configured on this site yet."),
    _("Tickets in different currencies must be bought separately."),
    _("We could not reach the payment provider, so nothing was charged. Please try again."),
    _("The organizer cannot take card payments yet."),
    _("Tickets in %(currency)s are not sold on this site any more."),
    # over the hold cap: by address first, so "your connection" is not read as an email
    _(
        "Too many tickets are waiting for payment from your connection: at most %(cap)s at a"
        " time. Finish or cancel the checkout you started (an unpaid one is released after"
        " %(minutes)s minutes), then try again."
    ),
    _(
        "Too many tickets are waiting for payment from %(email)s: at most %(cap)s at a time."
        " Finish or cancel the checkout you started (an unpaid one is released after"
        " %(minutes)s minutes), then try again."
    ),
    # the attendee-details step (api/checkout/attendees.py)
    _("Enter the name of the person this ticket is for."),
    _("The name is too long: at most %(limit)s characters."),
    _("The answer is too long: at most %(limit)s characters."),
    _("The answer contains characters we cannot use."),
    _("Tick the box or leave it empty."),
    _("Tick this box to continue."),
    _("Choose one of the answers listed."),
    _("Choose an answer."),
    _("Answer this question."),
    # the event pages' and the passes page's missing things (api/checkout/pages.py, api/waiting/)
    _("There is no published event at this address."),
    _("This event has no such ticket tier."),
    _("No order at this link. Check the link in your email."),
    # codes (api/checkout/codes.py)
    _("“%(code)s” is not a valid code for this event."),
    _("The code %(code)s can be used from %(when)s."),
    _("The code %(code)s has expired."),
    _("The code %(code)s has been used up."),
    # the waiting list (api/waiting/services.py)
    _("Enter a valid email address: the offer is sent there."),
    _("This event is cancelled."),
    _("%(tier)s is not on sale yet."),
    _("%(tier)s has no waiting list."),
    _("This tier is no longer sold."),
    _("Ask for at least one ticket."),
    _("No offer at this link. Check the link in your email."),
    _("This offer has ended: its seats went to the next person in line."),
    _("This event is cancelled: nothing is sold."),
    _("These seats are no longer free."),
    _("%(tier)s has %(count)s tickets on sale right now: buy them on the event page."),
    _("%(tier)s has %(count)s ticket on sale right now: buy them on the event page."),
    _(
        "Too many tickets are waiting for payment from this address: at most %(cap)s at a time."
        " Finish or cancel the checkout you started, then use this link again."
    ),
    _(
        "We could not reach the payment provider, so nothing was charged. Your seats are still"
        " held for you: please try again."
    ),
    # the passes page's transfer, rename and cancel forms (api/passes/transfer.py,
    # api/checkout/self_cancel.py, self_service_pages.py)
    _("Enter the email address of the person the ticket goes to."),
    _("This order has no such pass."),
    _("Pass %(code)s is void: it cannot be changed."),
    _("Enter the name the ticket is for."),
    _("That is your own address: enter the new holder's."),
    _("A ticket transferred to you cannot be cancelled here: ask the organizer."),
    _("There is nothing left to cancel in this order."),
    _("Tick the tickets to cancel."),
    _("Tick the box to confirm that you want to cancel your tickets."),
    _("%(event)s is cancelled."),
    _("%(event)s does not allow %(what)s."),
    _("The deadline for %(what)s has passed."),
    _("An order that is %(status)s cannot be changed."),
    _("%(event)s needs the name of each ticket's holder: enter theirs."),
    # the door phone's (api/checkin/services.py, guests.py, controllers.py)
    _("This pairing link is unknown. Ask the organizer for a new one."),
    _("This pairing link was revoked — ask the organizer for a new one."),
    _("This pairing link has expired — ask the organizer for a new one."),
    _(
        "This pairing link was for one phone and has already paired it — ask the organizer for"
        " a new one."
    ),
    _(
        "This pairing link has already paired all %(count)s phones it was made for — ask the"
        " organizer for a new one."
    ),
    _(
        "This phone was paired to scan only. To find guests by name, pair it with a “scan and"
        " search” link from the organizer."
    ),
    _("Guest names are erased from door phones 24 hours after the event ends."),
    _(
        "This device is not paired, or it was unpaired from the dashboard. Its scans are kept on"
        " the phone; pair it again with a new link to upload them."
    ),
)

WORDS: tuple[str, ...] = (
    # what a refusal's `%(what)s` and `%(status)s` stand for (api/passes/transfer.py,
    # api/checkout/self_cancel.py; an order's status with "_" read as a space): translated too
    _("name changes"),
    _("ticket transfers"),
    _("cancellations"),
    _("pending"),
    _("paid"),
    _("expired"),
    _("cancelled"),
    _("refunded"),
    _("partially refunded"),
    _("disputed"),
)
_TRANSLATED_PARAMETERS = ("what", "status")
"""Parameters whose value is one of WORDS (the rest are names, dates, codes: kept as they are)."""

ERROR_PAGES: tuple[str, ...] = (
    # the error page's titles (api/web/errors.py) and its message for a missing page
    _("That request could not be read"),
    _("Please sign in"),
    _("Not allowed"),
    _("Page not found"),
    _("Method not allowed"),
    _("Conflict"),
    _("Too large"),
    _("Unsupported content type"),
    _("Check the form"),
    _("Too many requests"),
    _("Something went wrong on our side"),
    _("A service we rely on failed"),
    _("Temporarily unavailable"),
    _("Error"),
    _("Server error"),
    _("Nothing here at %(path)s."),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each refusal as a pattern whose named groups are its parameters."""
    found = []
    for message in REFUSALS + ERROR_PAGES:
        pieces, last = [], 0
        for match in _PLACEHOLDER.finditer(message):
            pieces += [re.escape(message[last : match.start()]), f"(?P<{match.group(1)}>.+?)"]
            last = match.end()
        pieces.append(re.escape(message[last:]))
        found.append((re.compile("".join(pieces), re.DOTALL), message))
    return tuple(found)


def translate(message: object) -> str:
    """`message` (a refusal's English) in the current language; anything else as it is."""
    text = "" if message is None else str(message)
    if current() == DEFAULT or not text:
        return text
    for pattern, english in _patterns():
        if match := pattern.fullmatch(text):
            values = match.groupdict()
            for name in _TRANSLATED_PARAMETERS:
                if values.get(name) in WORDS:
                    values[name] = catalogues.gettext(values[name])
            return catalogues.gettext(english) % values
    return text
