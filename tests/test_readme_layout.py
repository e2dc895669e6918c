"""The README's layout section is where a new contributor looks first: it must name every
package of `api/`, each on its own line, and the handler-module names it promises must hold."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _layout() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def test_the_readme_layout_names_every_package_of_api_on_a_line_of_its_own() -> None:
    packages = sorted(p.parent.name for p in (ROOT / "api").glob("*/__init__.py"))
    listed = set(re.findall(r"^  ([a-z0-9_]+)/ ", _layout(), flags=re.MULTILINE))  # i18n
    missing = [name for name in packages if name not in listed]
    assert not missing, f"README layout lacks a line for api/{missing}"
    stale = sorted(listed - set(packages) - {"templates"})
    assert not stale, f"README layout names packages that are gone: {stale}"


def test_handler_modules_are_called_pages_or_controllers() -> None:
    odd = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "api").rglob("*.py")
        if path.name == "routes.py" or path.stem.endswith("_api")
    )
    assert not odd, f"handler modules are pages.py (HTML) or controllers.py (JSON, files): {odd}"
