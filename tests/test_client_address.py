"""Which address a request is counted under, and the per-route limits on public POSTs.

The TCP peer, unless it is a known proxy: then `X-Forwarded-For` read right to left past every
trusted proxy and Cloudflare range, and `CF-Connecting-IP` only from a Cloudflare range. Forged
headers from anyone else, and a forged `CF-Connecting-IP` passed on by our own proxy, change
nothing.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.settings import Settings
from api.web.ratelimit import forwarded_client
from tests import factories, pages
from tests.forms import csrf_token

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:ffff::/48"))
CLOUDFLARE = (ipaddress.ip_network("173.245.48.0/20"), ipaddress.ip_network("2400:cb00::/32"))


def test_headers_from_an_untrusted_peer_are_ignored() -> None:
    forged = {"cf-connecting-ip": "198.51.100.1", "x-forwarded-for": "198.51.100.2"}
    assert forwarded_client("203.0.113.5", forged, PROXIES) == "203.0.113.5"
    assert forwarded_client("203.0.113.5", forged, ()) == "203.0.113.5"


def test_a_trusted_proxy_names_the_client() -> None:
    chain = {"x-forwarded-for": "192.0.2.77, 198.51.100.9, 10.0.0.4"}
    # The client may write anything at the left of the chain: the nearest untrusted hop counts.
    assert forwarded_client("10.1.2.3", chain, PROXIES) == "198.51.100.9"
    assert forwarded_client("2001:db8:ffff::1", {"x-forwarded-for": "2001:db8:1::5"}, PROXIES) == (
        "2001:db8:1::5"
    )


def test_a_forged_cf_connecting_ip_through_our_own_proxy_is_not_believed() -> None:
    # Caddy (not Cloudflare) passes on whatever the client wrote: the proxy's own hop counts.
    for forged in ("198.51.100.1", "198.51.100.2"):
        headers = {"cf-connecting-ip": forged, "x-forwarded-for": "203.0.113.5"}
        assert forwarded_client("10.1.2.3", headers, PROXIES, CLOUDFLARE) == "203.0.113.5"
        assert forwarded_client("10.1.2.3", {"cf-connecting-ip": forged}, PROXIES) == "10.1.2.3"


def test_cloudflare_names_the_client_directly_or_behind_our_proxy() -> None:
    named = {"cf-connecting-ip": "198.51.100.1"}
    assert forwarded_client("173.245.48.9", named, PROXIES, CLOUDFLARE) == "198.51.100.1"
    # Cloudflare → Caddy → app: Caddy appended the Cloudflare address it was reached from.
    behind = {**named, "x-forwarded-for": "198.51.100.1, 2400:cb00::7"}
    assert forwarded_client("10.1.2.3", behind, PROXIES, CLOUDFLARE) == "198.51.100.1"
    # Caddy stripped the header (deploy/Caddyfile): Cloudflare's hop is skipped in the chain.
    chain = {"x-forwarded-for": "192.0.2.66, 198.51.100.1, 173.245.48.9"}
    assert forwarded_client("10.1.2.3", chain, PROXIES, CLOUDFLARE) == "198.51.100.1"
    # Not listed as Cloudflare, a Cloudflare address is just a client.
    assert forwarded_client("10.1.2.3", behind, PROXIES) == "2400:cb00::7"


def test_the_chain_is_read_right_to_left_past_every_trusted_hop() -> None:
    chain = {"x-forwarded-for": "192.0.2.1, 198.51.100.5, 10.0.0.9, 10.4.4.4"}
    assert forwarded_client("10.1.2.3", chain, PROXIES, CLOUDFLARE) == "198.51.100.5"
    only_proxies = {"x-forwarded-for": "10.0.0.9, 10.4.4.4"}
    assert forwarded_client("10.1.2.3", only_proxies, PROXIES, CLOUDFLARE) == "10.0.0.9"


def test_a_garbled_or_missing_chain_counts_the_proxy_itself() -> None:
    assert forwarded_client("10.1.2.3", {"x-forwarded-for": "nonsense, 10.0.0.4"}, PROXIES) == (
        "10.1.2.3"
    )
    assert forwarded_client("10.1.2.3", {"cf-connecting-ip": "not an ip"}, PROXIES) == "10.1.2.3"
    assert forwarded_client("10.1.2.3", {}, PROXIES) == "10.1.2.3"


@pytest.fixture
def proxied_app(settings: Settings) -> Litestar:
    return create_app(
        dataclasses.replace(settings, trusted_proxies=PROXIES, cloudflare_proxies=CLOUDFLARE)
    )


async def client_from(app: Litestar, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


async def ask_for_links(
    client: httpx.AsyncClient, times: int, headers: dict[str, str] | None = None
) -> list[httpx.Response]:
    form = await client.get("/login")
    token = csrf_token(form.text)
    return [
        await client.post(
            "/login",
            data={"_csrf_token": token, "email": f"guest{i}@example.com"},
            headers=headers or {},
        )
        for i in range(times)
    ]


@pytest.fixture
async def direct(proxied_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_from(proxied_app, "203.0.113.5") as client:
        yield client


async def test_a_sign_in_burst_gets_429_with_retry_after_and_forged_headers_do_not_help(
    direct: httpx.AsyncClient,
) -> None:
    answers = await ask_for_links(direct, 20)
    assert {a.status_code for a in answers} == {303}
    forged = await ask_for_links(direct, 1, headers={"cf-connecting-ip": "198.51.100.1"})
    assert forged[0].status_code == 429
    assert 0 < int(forged[0].headers["retry-after"]) <= 600
    message = pages.text(forged[0].text, "[data-error-message]")
    assert message.startswith("Too many attempts from your network.")


async def test_each_route_has_its_own_budget(direct: httpx.AsyncClient, db: AsyncSession) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event, name="General")
    await db.commit()
    slug, tier_id = event.slug, tier.id
    assert (await ask_for_links(direct, 21))[-1].status_code == 429
    page = await direct.get(f"/e/{slug}")
    bought = await direct.post(
        f"/e/{slug}/checkout",
        data={"_csrf_token": csrf_token(page.text), f"qty-{tier_id}": "1",
              "email": "kai@example.com"},
    )  # fmt: skip
    assert bought.status_code == 303
    paired = await direct.post("/api/v1/scanner/pair", json={"code": "x" * 16, "name": "Gate"})
    assert paired.status_code == 403  # an unknown code, refused, but not rate limited


async def test_behind_cloudflare_each_client_has_its_own_count(proxied_app: Litestar) -> None:
    async with await client_from(proxied_app, "173.245.48.9") as cloudflare:
        first = await ask_for_links(cloudflare, 20, headers={"cf-connecting-ip": "198.51.100.1"})
        assert {a.status_code for a in first} == {303}
        again = await ask_for_links(cloudflare, 1, headers={"cf-connecting-ip": "198.51.100.1"})
        assert again[0].status_code == 429
        other = await ask_for_links(cloudflare, 1, headers={"cf-connecting-ip": "198.51.100.2"})
        assert other[0].status_code == 303


async def test_rotating_cf_connecting_ip_through_our_own_proxy_changes_nothing(
    proxied_app: Litestar,
) -> None:
    async with await client_from(proxied_app, "10.9.9.9") as proxy:
        answers = [
            (await ask_for_links(proxy, 1, headers={
                "cf-connecting-ip": f"198.51.100.{i}", "x-forwarded-for": "203.0.113.77"}))[0]
            for i in range(21)
        ]  # fmt: skip
        assert {a.status_code for a in answers[:20]} == {303}
        assert answers[20].status_code == 429
        message = pages.text(answers[20].text, "[data-error-message]")
        assert message.startswith("Too many attempts from your network.")


async def test_pairing_attempts_are_limited_with_a_json_429(direct: httpx.AsyncClient) -> None:
    codes = [
        (await direct.post("/api/v1/scanner/pair", json={"code": f"{i:016d}", "name": "G"}))
        for i in range(31)
    ]
    assert {c.status_code for c in codes[:30]} == {403}
    assert codes[30].status_code == 429
    assert codes[30].headers["retry-after"]
    assert "Too many attempts" in codes[30].json()["detail"]
