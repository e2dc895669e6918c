"""Jinja's i18n extension bound to the current language: `{{ _("Get tickets") }}` and
`{{ _("%(n)s left", n=tier.available) }}` (new-style gettext: autoescaped, named placeholders).
One environment serves every request; the callables read `context.current()` at render time."""

from __future__ import annotations

import jinja2

from api.i18n import catalogues, refusals
from api.i18n.context import LANGUAGES, current
from api.i18n.pages import NAMES


def install(env: jinja2.Environment) -> None:
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        catalogues.gettext,
        catalogues.ngettext,
        newstyle=True,
        pgettext=catalogues.pgettext,
        npgettext=catalogues.npgettext,
    )
    env.globals["language"] = current
    env.globals["languages"] = [(code, NAMES[code]) for code in LANGUAGES]
    env.filters["refusal"] = refusals.translate  # `{{ error | refusal }}`: api/i18n/refusals.py
