"""The three installable apps, as Chromium itself judges them (its installability check)."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page

from e2e.conftest import LiveApp
from e2e.selling import owner_signs_in

# Playwright's browser contexts are off-the-record profiles; Chromium names that, and it is
# about the test browser, not the app.
ABOUT_THE_TEST_BROWSER = {"in-incognito"}


async def installability_errors(context: BrowserContext, page: Page) -> list[str]:
    await page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    cdp = await context.new_cdp_session(page)
    answer = await cdp.send("Page.getInstallabilityErrors")
    return [
        error["errorId"]
        for error in answer["installabilityErrors"]
        if error["errorId"] not in ABOUT_THE_TEST_BROWSER
    ]


async def test_the_wallet_the_dashboard_and_the_scanner_are_installable(
    live_app: LiveApp, context: BrowserContext
) -> None:
    page = await context.new_page()
    await owner_signs_in(page, live_app)
    for path, manifest in (
        ("/admin/", "/admin/manifest.webmanifest"),
        ("/wallet", "/wallet/manifest.webmanifest"),
        ("/scan", "/scan/manifest.webmanifest"),
    ):
        await page.goto(f"{live_app.url}{path}")
        assert await page.locator("link[rel=manifest]").get_attribute("href") == manifest
        assert await installability_errors(context, page) == [], path
