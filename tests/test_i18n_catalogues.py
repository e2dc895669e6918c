"""Every message English has is translated in every catalogue, and the catalogues are current:
a wrapped string nobody extracted, a Spanish or German entry left empty or fuzzy, a placeholder
lost in translation, or a PWA catalogue missing a key fails here (the page would silently show
English otherwise)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from api.i18n import catalogues
from api.i18n.context import DEFAULT, LANGUAGES
from api.passes.wording import table_path

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "translations"
OTHERS = [language for language in LANGUAGES if language != DEFAULT]


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def _ids(catalog: Catalog) -> set[object]:
    return {message.id for message in catalog if message.id}


def test_messages_pot_holds_exactly_the_messages_the_code_and_templates_wrap(
    tmp_path: Path,
) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-c", "from babel.messages.frontend import main; main()", "extract",
         "-F", "translations/babel.cfg", "-k", "_", "-k", "gettext", "-k", "ngettext:1,2",
         "--no-location", "--omit-header", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    extracted, shipped = _ids(_read(fresh)), _ids(_read(TRANSLATIONS / "messages.pot"))
    assert not extracted - shipped, "run `make translations` and translate the new messages"
    assert not shipped - extracted, "run `make translations`: messages.pot names gone strings"


@pytest.mark.parametrize("language", OTHERS)
def test_every_english_message_is_translated_with_its_placeholders(language: str) -> None:
    template = _read(TRANSLATIONS / "messages.pot")
    catalog = _read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", locale=language)
    untranslated = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id[0] if isinstance(message.id, tuple) else message.id)
        strings = () if found is None else (
            found.string if isinstance(found.string, tuple) else (found.string,)
        )  # fmt: skip
        if found is None or found.fuzzy or not strings or not all(strings):
            untranslated.append(message.id)
    assert untranslated == []
    problems = [(message.id, errors) for message, errors in catalog.check() if errors]
    assert problems == []  # e.g. a %(name)s placeholder missing in the translation


@pytest.mark.parametrize("language", OTHERS)
def test_a_catalogue_is_loaded_and_a_message_it_lacks_reads_english(language: str) -> None:
    found = catalogues.translations(language)
    assert found.gettext("Get tickets") != "Get tickets"
    assert found.gettext("A sentence no catalogue has") == "A sentence no catalogue has"


@pytest.mark.parametrize("language", OTHERS)
def test_the_void_wording_table_of_each_language_names_every_reason(language: str) -> None:
    english = json.loads(table_path(DEFAULT).read_text(encoding="utf-8"))
    other = json.loads(table_path(language).read_text(encoding="utf-8"))
    assert other["reasons"].keys() == english["reasons"].keys()
    for words in [*other["reasons"].values(), other["other"]]:
        assert words.keys() == {"buyer", "door"}
        assert all(words.values())


@pytest.mark.parametrize("language", OTHERS)
def test_each_pwa_catalogue_has_every_key_the_english_one_has(language: str) -> None:
    folder = ROOT / "pwa" / "lib" / "i18n"
    english = json.loads((folder / "en.json").read_text(encoding="utf-8"))
    other = json.loads((folder / f"{language}.json").read_text(encoding="utf-8"))
    assert sorted(set(english) - set(other)) == []
    assert [key for key, text in other.items() if not text] == []
