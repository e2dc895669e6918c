"""Languages for buyers: pages, emails, the wallet and the scanner in English, Spanish and German.

- `context`: the current language (a context variable set per request and per email job).
- `negotiation`: cookie `lang`, else Accept-Language (Babel), else the event's default language.
- `catalogues`: gettext from `translations/*/LC_MESSAGES/messages.po`, English as the fallback.
- `jinja`: `_()` in templates; `pages`: the switcher (`/lang/de?next=…`).
Dates, times and money follow the language through `api.formatting` (Babel, CLDR).
The back office stays English. The PWA has its own small catalogues (`pwa/lib/i18n.js`).
"""

from __future__ import annotations

from api.i18n.catalogues import gettext, ngettext
from api.i18n.context import DEFAULT, LANGUAGES, activate, current, default_to, scope, using

_ = gettext

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "_",
    "activate",
    "current",
    "default_to",
    "gettext",
    "ngettext",
    "scope",
    "using",
]
