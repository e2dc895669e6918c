"""Files for crawlers: /robots.txt and /sitemap.xml (written by api/events/sitemap.py)."""

from __future__ import annotations

from litestar import Controller, MediaType, Response, get

from api.events.sitemap import listed_urls, robots_txt, sitemap_xml
from api.web.deps import DB, AppSettings

CACHED = {"Cache-Control": "public, max-age=300"}


class DiscoveryFiles(Controller):
    include_in_schema = False

    @get("/robots.txt")
    async def robots(self, settings: AppSettings) -> Response[str]:
        return Response(robots_txt(settings.base_url), media_type=MediaType.TEXT, headers=CACHED)

    @get("/sitemap.xml")
    async def sitemap(self, db: DB, settings: AppSettings) -> Response[str]:
        urls = await listed_urls(db, base_url=settings.base_url)
        return Response(sitemap_xml(urls), media_type=MediaType.XML, headers=CACHED)
