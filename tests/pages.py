"""Reading a page the way a user does: the text in one place, found by a data-* hook, id or role.

An assert on `"..." in page.text` passes wherever the fragment sits (a hidden input, a script, a
link somewhere else); these helpers name the element, so an assert on them fails when the thing is
shown in the wrong place or not at all.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

Page = str | BeautifulSoup | Tag


def parse(html: Page) -> BeautifulSoup | Tag:
    """The page as a tree (a page already parsed is returned as is)."""
    return BeautifulSoup(html, "html.parser") if isinstance(html, str) else html


def shown(tag: Tag) -> str:
    """A tag's text as a reader sees it: whitespace runs read as one space."""
    return " ".join(tag.get_text().split())


def one(html: Page, selector: str) -> Tag:
    """The single element the selector names; the assert says which selector found 0 or many."""
    found = parse(html).select(selector)
    assert len(found) == 1, f"{selector!r} matches {len(found)} elements, not 1"
    return found[0]


def text(html: Page, selector: str) -> str:
    """The text of the single element the selector names."""
    return shown(one(html, selector))


def texts(html: Page, selector: str) -> list[str]:
    """The texts of every element the selector names, in page order."""
    return [shown(tag) for tag in parse(html).select(selector)]


def values(html: Page, selector: str, attribute: str) -> list[str]:
    """An attribute (a data-* hook, an href) of every element the selector names, in page order."""
    return [str(tag[attribute]) for tag in parse(html).select(selector)]


def rows(html: Page, selector: str) -> list[list[str]]:
    """Each table row the selector names, as the texts of its cells."""
    return [
        [shown(cell) for cell in row.find_all(["td", "th"])] for row in parse(html).select(selector)
    ]


def main_text(html: Page) -> str:
    """Everything the page's <main> shows, for asserts that something appears nowhere on it."""
    return text(html, "main")


def terms(html: Page, selector: str) -> dict[str, str]:
    """A definition list (<dl>) the selector names, as {term: its description}."""
    listed: dict[str, str] = {}
    for term in one(html, selector).find_all("dt"):
        description = term.find_next_sibling("dd")
        assert description is not None, f"{shown(term)!r} in {selector!r} has no description"
        listed[shown(term)] = shown(description)
    return listed
