"""Serving the progressive web app: `/pwa/…` files, `/scan`, `/wallet`, and the root-scoped
`/sw.js`.

The service worker's cache name carries a hash of every file under `pwa/`, so any change to the
app makes the browser install a new worker, which takes over through the waiting → reload flow.
HTML and the worker are served `no-cache` (always revalidated); the worker itself keeps the
offline copies.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from litestar import Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.static_files import create_static_files_router

from api.paths import project_root

NO_CACHE = {"Cache-Control": "no-cache"}


def pwa_dir() -> Path:
    return project_root() / "pwa"


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class TreeVersion:
    """The hash of the PWA's files, recomputed only when a file's size or mtime changes, so a
    deploy that replaces files without a restart still hands browsers a new worker."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self._version = ""

    def current(self) -> str:
        signature = tuple(
            (str(p), p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        )
        if signature != self._signature:
            self._signature = signature
            self._version = tree_hash(self.root)
        return self._version


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise NotFoundException(detail=f"{path.name} is missing from this installation.")
    return path.read_bytes()


def create_pwa_router(root: Path | None = None) -> Router:
    root = root or pwa_dir()
    version = TreeVersion(root)

    @get("/sw.js", include_in_schema=False)
    async def service_worker() -> Response[bytes]:
        body = _read(root / "sw.js").replace(b"__PRECACHE_VERSION__", version.current().encode())
        return Response(
            body,
            media_type="text/javascript",
            headers={**NO_CACHE, "Service-Worker-Allowed": "/"},
        )

    def serve(paths: str | list[str], file: Path, media_type: str) -> HTTPRouteHandler:
        @get(paths, include_in_schema=False, name=f"pwa:{file.relative_to(root)}")
        async def handler() -> Response[bytes]:
            return Response(_read(file), media_type=media_type, headers=NO_CACHE)

        return handler

    html, manifest = "text/html", "application/manifest+json"
    apps = [
        serve(["/scan", "/scan/"], root / "scanner" / "index.html", html),
        serve("/scan/manifest.webmanifest", root / "scanner" / "manifest.webmanifest", manifest),
        serve(["/wallet", "/wallet/"], root / "wallet" / "index.html", html),
        serve("/wallet/manifest.webmanifest", root / "wallet" / "manifest.webmanifest", manifest),
        serve("/admin/manifest.webmanifest", root / "dashboard" / "manifest.webmanifest", manifest),
    ]

    files = create_static_files_router(
        path="/pwa",
        directories=[root],
        include_in_schema=False,
        cache_control=CacheControlHeader(no_cache=True),
        name="pwa",
    )
    return Router(
        path="/",
        route_handlers=[service_worker, *apps, files],
    )
