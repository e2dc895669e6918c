"""The organizer's API keys page (`/admin/organizers/{id}/api-keys`), for its owners (and the
operator): make a key with its scopes, see it once, revoke it (`api.organizer_api.keys`).

The page that makes a key is the only one that ever shows it (not cached, not redirected to);
afterwards the list shows its first characters, who made it, when it was last used. Managers and
door leads get 403 (`owners_only`), another organizer's id 404, as everywhere in /admin.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.access import Who, owners_only
from api.admin.deps import ThisOrganizer
from api.db import Organizer
from api.errors import Invalid
from api.organizer_api import auth
from api.organizer_api.keys import SCOPES, NewKey, create_key, organizer_keys, revoke_key
from api.web.deps import DB, AppSettings
from api.web.security import NO_STORE

Form = URLEncodedBody[dict[str, str | list[str]]]


class ApiKeyPages(Controller):
    path = "/organizers/{organizer_id:uuid}/api-keys"
    guards = [owners_only]

    @get("/")
    async def keys(self, db: DB, settings: AppSettings, organizer: ThisOrganizer) -> Template:
        return await _page(db, organizer, base_url=settings.base_url)

    @post("/", status_code=200)
    async def create(
        self, db: DB, who: Who, settings: AppSettings, organizer: ThisOrganizer, data: Form
    ) -> Template:
        name = data.get("name", "")
        scopes = data.get("scope", [])
        try:
            made = await create_key(
                db, organizer_id=organizer.id, actor=who.who,
                name=name if isinstance(name, str) else "",
                scopes=[scopes] if isinstance(scopes, str) else scopes,
            )  # fmt: skip
        except Invalid as exc:  # refused before anything was added
            return await _page(db, organizer, base_url=settings.base_url, problems=exc.messages)
        await db.commit()
        return await _page(db, organizer, base_url=settings.base_url, made=made)

    @post("/{key_id:uuid}/revoke", status_code=303)
    async def revoke(
        self, db: DB, who: Who, organizer: ThisOrganizer, key_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await revoke_key(db, organizer_id=organizer.id, key_id=key_id, actor=who.who)
        await db.commit()
        return Redirect(path=f"/admin/organizers/{organizer.id}/api-keys", status_code=303)


async def _page(
    db: AsyncSession,
    organizer: Organizer,
    *,
    base_url: str,
    made: NewKey | None = None,
    problems: list[str] | None = None,
) -> Template:
    return Template(
        template_name="admin/api_keys.html",
        context={
            "organizer": organizer,
            "keys": await organizer_keys(db, organizer_id=organizer.id),
            "scopes": SCOPES,
            "made": made,
            "problems": problems or [],
            "api_base": base_url.rstrip("/") + "/api/v1",
            "per_minute": auth.PER_MINUTE,
        },
        status_code=400 if problems else 200,
        headers=NO_STORE,
    )
