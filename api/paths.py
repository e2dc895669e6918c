"""Where the project's non-Python folders live: next to the package, or in the working dir."""

from __future__ import annotations

from pathlib import Path


def project_root() -> Path:
    """The folder holding `migrations/` and `pwa/`: the source checkout, or the working
    directory of an installed copy (the Docker image runs from /app)."""
    for candidate in (Path(__file__).resolve().parents[1], Path.cwd()):
        if (candidate / "migrations" / "env.py").exists():
            return candidate
    raise FileNotFoundError("migrations/ and pwa/ not found next to the api package or in cwd")
