"""Airplane mode in the browser suites means the server is unreachable, not only that the page
was told it is offline (issue 16): `context.set_offline` is called from e2e/airplane.py alone,
which cuts the relay between the browser and the server first."""

from __future__ import annotations

import re
from pathlib import Path

E2E = Path(__file__).parent.parent / "e2e"


def test_every_offline_browser_suite_cuts_the_server_through_e2e_airplane() -> None:
    calls = {
        path.name: [n for n, line in enumerate(path.read_text().splitlines(), 1)
                    if re.search(r"await\s+\S+\.set_offline\(", line)]
        for path in sorted(E2E.glob("*.py"))
        if path.name != "airplane.py"
    }  # fmt: skip
    assert {name: lines for name, lines in calls.items() if lines} == {}
    offline_suites = [
        path.name for path in sorted(E2E.glob("test_*.py")) if "airplane_mode(" in path.read_text()
    ]
    assert {
        "test_dashboard.py",
        "test_scanner_doors.py",
        "test_scanner_https.py",
        "test_scanner_install.py",
        "test_scanner_offline.py",
        "test_scanner_removed.py",
        "test_wallet.py",
    } <= set(offline_suites)


def test_live_apps_in_the_browser_suites_sit_behind_a_relay() -> None:
    conftest = (E2E / "conftest.py").read_text()
    assert "async with run_app_behind_relay(database_url, tmp_path) as app:" in conftest
