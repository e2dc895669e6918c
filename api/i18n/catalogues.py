"""The gettext catalogues: `translations/<language>/LC_MESSAGES/messages.po`, read once per
process with Babel and turned into `gettext.GNUTranslations` in memory.

Reading the .po at start (no compiled .mo in the tree or the image) keeps one source of truth:
a translator's edit is live on the next start, and nothing can be stale. A message a catalogue
lacks (or marks fuzzy) falls back to the English msgid. `make translations` re-extracts
`messages.pot` from the code and merges it into each .po (translations/README.md).
"""

from __future__ import annotations

import functools
import gettext as stdlib_gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from api.i18n.context import DEFAULT, LANGUAGES, current
from api.paths import project_root


def folder() -> Path:
    return project_root() / "translations"


@functools.cache
def translations(language: str) -> stdlib_gettext.NullTranslations:
    """The catalogue of `language` (English and unknown languages: the msgids themselves)."""
    po = folder() / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT or language not in LANGUAGES or not po.exists():
        return stdlib_gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out: they fall back to English
    buffer.seek(0)
    found = stdlib_gettext.GNUTranslations(buffer)
    found.add_fallback(stdlib_gettext.NullTranslations())
    return found


def gettext(message: str) -> str:
    """`message` in the current language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(current()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(current()).npgettext(context, singular, plural, n)
