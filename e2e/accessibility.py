"""axe-core in the browser: the WCAG A and AA checks the dashboard and buyer suites run on each
page they visit (`context.add_init_script(path=str(AXE))` first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = Path(__file__).parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


async def wcag_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's findings against WCAG 2.0, 2.1 and 2.2 A and AA on the page as it is now,
    whatever their impact."""
    found: list[dict[str, Any]] = await page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, {
            runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'],
          });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(' ')),
          }));
        }""",
        WCAG_A_AA,
    )
    return found
