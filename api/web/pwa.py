"""Serving the progressive web app: `/pwa/…` files, `/scan`, `/wallet`, and the root-scoped
`/sw.js`.

The service worker's cache name carries a hash of every file under `pwa/`, so any change to the
app makes the browser install a new worker, which takes over through the waiting → reload flow.
Its precache list is made here too, from the files on disk (`precache_urls`), so a new module or
vendor file is cached for offline use without anyone keeping a list in step with the imports.
HTML and the worker are served `no-cache` (always revalidated); the worker itself keeps the
offline copies.

`python -m api.web.pwa` prints the precache list as JSON (the JavaScript tests check it against the
modules each page imports).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from litestar import Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.static_files import create_static_files_router

from api.paths import project_root

NO_CACHE = {"Cache-Control": "no-cache"}

# The apps' pages and manifests have URLs of their own (the scanner's scope is /scan, not
# /pwa/scanner/): URL -> file under pwa/. The routes and the precache list both come from here.
PAGES = {
    "/scan": "scanner/index.html",
    "/scan/manifest.webmanifest": "scanner/manifest.webmanifest",
    "/wallet": "wallet/index.html",
    "/wallet/manifest.webmanifest": "wallet/manifest.webmanifest",
    "/admin/manifest.webmanifest": "dashboard/manifest.webmanifest",
}
# Every file in these folders is precached (at /pwa/…): what the scanner, the wallet and the
# dashboard shell load. Dot files (vendor/.stamp) are not.
PRECACHED_FOLDERS = ("scanner", "wallet", "dashboard", "lib", "vendor", "icons")
PRECACHE_PLACEHOLDER = b"/* __PRECACHE_URLS__ */ []"


def pwa_dir() -> Path:
    return project_root() / "pwa"


def precache_urls(root: Path) -> list[str]:
    """What the service worker caches at install: each page's URL, then every other file of the
    precached folders at its /pwa/ URL."""
    pages = set(PAGES.values())
    files = sorted(
        path.relative_to(root).as_posix()
        for folder in PRECACHED_FOLDERS
        for path in (root / folder).rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    return [*PAGES, *(f"/pwa/{file}" for file in files if file not in pages)]


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class ServiceWorker:
    """sw.js as served: the hash of the PWA's files and the precache list written in, remade only
    when a file's size or mtime changes, so a deploy that replaces files without a restart still
    hands browsers a new worker with the right list."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self._body = b""

    def current(self) -> bytes:
        signature = tuple(
            (str(p), p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        )
        if signature != self._signature:
            source = _read(self.root / "sw.js")
            if PRECACHE_PLACEHOLDER not in source:
                raise RuntimeError(f"sw.js lost its precache placeholder {PRECACHE_PLACEHOLDER!r}")
            urls = json.dumps(precache_urls(self.root)).encode()
            version = tree_hash(self.root).encode()
            self._body = source.replace(PRECACHE_PLACEHOLDER, urls).replace(
                b"__PRECACHE_VERSION__", version
            )
            self._signature = signature
        return self._body


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise NotFoundException(detail=f"{path.name} is missing from this installation.")
    return path.read_bytes()


def create_pwa_router(root: Path | None = None) -> Router:
    root = root or pwa_dir()
    worker = ServiceWorker(root)

    @get("/sw.js", include_in_schema=False)
    async def service_worker() -> Response[bytes]:
        return Response(
            worker.current(),
            media_type="text/javascript",
            headers={**NO_CACHE, "Service-Worker-Allowed": "/"},
        )

    def serve(paths: str | list[str], file: Path, media_type: str) -> HTTPRouteHandler:
        @get(paths, include_in_schema=False, name=f"pwa:{file.relative_to(root)}")
        async def handler() -> Response[bytes]:
            return Response(_read(file), media_type=media_type, headers=NO_CACHE)

        return handler

    apps = [
        serve([url, f"{url}/"], root / file, "text/html")
        if file.endswith(".html")
        else serve(url, root / file, "application/manifest+json")
        for url, file in PAGES.items()
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


if __name__ == "__main__":
    print(json.dumps(precache_urls(pwa_dir())))
