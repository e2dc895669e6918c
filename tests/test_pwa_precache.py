"""The service worker's precache list is made from the files in pwa/, not kept by hand: a module
added to the scanner is cached for offline use the next time /sw.js is fetched."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.web.pwa import create_pwa_router, pwa_dir


@pytest.fixture
def pwa_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "pwa"
    shutil.copytree(pwa_dir(), copy)
    return copy


def served_precache(root: Path) -> tuple[str, list[str]]:
    with TestClient(Litestar(route_handlers=[create_pwa_router(root)])) as client:
        body = client.get("/sw.js").text
    found = re.search(r"const PRECACHE = /\*\* @type \{string\[\]\} \*/ \((\[.*?\])\);", body)
    assert found, "the served worker carries a precache list"
    return body, json.loads(found.group(1))


def test_a_module_added_to_the_scanner_is_precached_without_editing_the_worker(
    pwa_copy: Path,
) -> None:
    _, before = served_precache(pwa_copy)
    assert "/pwa/scanner/torch.js" not in before
    (pwa_copy / "scanner" / "torch.js").write_text("export const torch = true;\n")
    (pwa_copy / "vendor" / "new-lib.js").write_text("export default 1;\n")
    body, after = served_precache(pwa_copy)
    assert {"/pwa/scanner/torch.js", "/pwa/vendor/new-lib.js"} <= set(after)
    assert "__PRECACHE_URLS__" not in body
    assert "__PRECACHE_VERSION__" not in body


def test_pages_are_precached_at_their_own_urls_and_dot_files_are_not(pwa_copy: Path) -> None:
    (pwa_copy / "vendor" / ".stamp").touch()
    _, urls = served_precache(pwa_copy)
    assert urls[:2] == ["/scan", "/scan/manifest.webmanifest"]
    assert {"/wallet", "/wallet/manifest.webmanifest", "/admin/manifest.webmanifest"} <= set(urls)
    assert "/pwa/scanner/index.html" not in urls
    assert "/pwa/vendor/.stamp" not in urls
    assert "/pwa/sw.js" not in urls
    assert len(urls) == len(set(urls))
