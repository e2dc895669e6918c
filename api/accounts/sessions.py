"""Signed-in browsers, kept server-side.

The sealed cookie (api/web/sessions.py) carries only a random session id; who it signs in lives
in `web_session`, under the id's SHA-256. Signing out deletes the row, and so does an owner
removing a member, so a copied cookie stops working at once (the cookie alone used to be trusted
for its 14 days). Every sign-in makes a new id: nothing from before carries over.

Each row also keeps the browser's user agent, its address and when it was last used, so the
Security page (api/accounts/security_pages.py) can list a person's sessions and end any of them,
or all ("Sign out everywhere"). `last_seen_at` is written at most every five minutes per
session, in a transaction of its own, so a request costs one indexed read as before.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import WebSession, utcnow
from api.web.ratelimit import client_ip

LIFETIME = timedelta(days=14)
"""As long as the cookie lives (api/web/sessions.py)."""
OPERATOR = "operator"
SEEN_EVERY = timedelta(minutes=5)
"""How stale `last_seen_at` may get before a request refreshes it: one write per session per
five minutes, not one per request."""
"""The subject of the platform operator's sessions (no email has no @)."""


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def _cookie(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    if connection.scope.get("session") is None:
        return {}
    session = connection.session
    return session if isinstance(session, dict) else {}


async def start(
    request: Request[Any, Any, Any], db: AsyncSession, *, subject: str, **cookie: str
) -> None:
    """Sign `subject` (an email, or OPERATOR) in on this browser, with a new session id; `cookie`
    adds values the cookie carries beside the id. Commits."""
    await end(request, db)
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        WebSession(
            id_hash=_digest(session_id),
            subject=subject,
            expires_at=now + LIFETIME,
            user_agent=request.headers.get("user-agent", "")[:300],
            ip=client_ip(request)[:64],
            last_seen_at=now,
        )
    )
    await db.execute(delete(WebSession).where(WebSession.expires_at < now))
    await db.commit()
    request.set_session({"sid": session_id, **cookie})


async def subject(connection: ASGIConnection[Any, Any, Any, Any], db: AsyncSession) -> str | None:
    """Who this browser is signed in as, or None (no cookie, signed out, expired)."""
    session_id = _cookie(connection).get("sid")
    if not isinstance(session_id, str) or not session_id:
        return None
    now = utcnow()
    found = (
        await db.execute(
            select(WebSession.subject, WebSession.last_seen_at).where(
                WebSession.id_hash == _digest(session_id), WebSession.expires_at > now
            )
        )
    ).first()
    if found is None:
        return None
    if found.last_seen_at is None or found.last_seen_at < now - SEEN_EVERY:
        await _seen(connection, _digest(session_id), now)
    return str(found.subject)


async def _seen(connection: ASGIConnection[Any, Any, Any, Any], id_hash: bytes, now: Any) -> None:
    """Note when a session was last used, in its own short transaction (the caller's may be a
    read, or roll back)."""
    async with connection.app.state.sessions() as own:
        await own.execute(
            update(WebSession).where(WebSession.id_hash == id_hash).values(last_seen_at=now)
        )
        await own.commit()


async def signed_in_email(
    connection: ASGIConnection[Any, Any, Any, Any], db: AsyncSession
) -> str | None:
    """The email this browser is signed in as (None for no one, or the operator)."""
    who = await subject(connection, db)
    return None if who is None or who == OPERATOR else who


def cookie_value(connection: ASGIConnection[Any, Any, Any, Any], key: str) -> Any:
    """A value the session cookie carries beside its id."""
    return _cookie(connection).get(key)


async def end(request: Request[Any, Any, Any], db: AsyncSession) -> None:
    """Sign this browser out (commits)."""
    session_id = _cookie(request).get("sid")
    if isinstance(session_id, str) and session_id:
        await db.execute(delete(WebSession).where(WebSession.id_hash == _digest(session_id)))
        await db.commit()
    request.clear_session()


async def end_everywhere(db: AsyncSession, *, subject: str) -> None:
    """Sign `subject` out of every browser (not committed: part of the caller's change)."""
    await db.execute(delete(WebSession).where(WebSession.subject == subject))


@dataclass(frozen=True)
class SignedInBrowser:
    """One of a person's sessions, as the Security page lists it."""

    handle: str
    """The hex of the id's hash: names the session in a form without being its cookie."""
    user_agent: str
    ip: str
    created_at: datetime
    last_seen_at: datetime | None
    current: bool


async def browsers_of(
    connection: ASGIConnection[Any, Any, Any, Any], db: AsyncSession, *, subject: str
) -> list[SignedInBrowser]:
    """`subject`'s live sessions, newest first, this browser's marked `current`."""
    session_id = _cookie(connection).get("sid")
    here = _digest(session_id) if isinstance(session_id, str) and session_id else b""
    rows = await db.scalars(
        select(WebSession)
        .where(WebSession.subject == subject, WebSession.expires_at > utcnow())
        .order_by(WebSession.created_at.desc())
    )
    return [
        SignedInBrowser(
            handle=row.id_hash.hex(),
            user_agent=row.user_agent,
            ip=row.ip,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            current=row.id_hash == here,
        )
        for row in rows
    ]


async def end_one(db: AsyncSession, *, subject: str, handle: str) -> bool:
    """Sign one of `subject`'s browsers out (commits); False when there is no such session."""
    try:
        id_hash = bytes.fromhex(handle)
    except ValueError:
        return False
    gone = await db.execute(
        delete(WebSession)
        .where(WebSession.id_hash == id_hash, WebSession.subject == subject)
        .returning(WebSession.id_hash)
    )
    ended = gone.first() is not None
    await db.commit()
    return ended
