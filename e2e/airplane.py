"""Airplane mode for a browser test: the server is unreachable, not only "offline" to the page.

`context.set_offline(True)` alone tells the page it is offline, but after a reload Chromium still
lets the service worker fetch `/sw.js` and its precache from a server on this machine, which a
phone in airplane mode cannot do. So airplane mode here is both: the relay between the browser
and the server is cut (every open connection dropped, new ones refused), and each given browser
context is told it is offline (so `navigator.onLine` and the `online`/`offline` events are
what a phone's would be). Every offline suite goes through these two functions
(tests/test_e2e_airplane.py holds that).

Whoever keeps the network meanwhile (an organizer at the office) opens `app.direct_url`.
"""

from __future__ import annotations

from playwright.async_api import BrowserContext

from e2e.conftest import LiveApp
from e2e.relay import Relay


def _relay(app: LiveApp) -> Relay:
    assert app.relay is not None, "this app has no relay to cut: start it behind one"
    return app.relay


async def airplane_mode(app: LiveApp, *phones: BrowserContext) -> None:
    """The browser loses the server; `phones` are told they are offline."""
    await _relay(app).cut()
    for phone in phones:
        await phone.set_offline(True)


async def network_back(app: LiveApp, *phones: BrowserContext) -> None:
    """The server is reachable again; `phones` are told they are online."""
    await _relay(app).restore()
    for phone in phones:
        await phone.set_offline(False)
