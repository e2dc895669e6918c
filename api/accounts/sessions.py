"""Signed-in browsers, kept server-side.

The sealed cookie (api/web/sessions.py) carries only a random session id; who it signs in lives
in `web_session`, under the id's SHA-256. Signing out deletes the row, and so does an owner
removing a member, so a copied cookie stops working at once (the cookie alone used to be trusted
for its 14 days). Every sign-in makes a new id: nothing from before carries over.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import WebSession, utcnow

LIFETIME = timedelta(days=14)
"""As long as the cookie lives (api/web/sessions.py)."""
OPERATOR = "operator"
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
    db.add(WebSession(id_hash=_digest(session_id), subject=subject, expires_at=now + LIFETIME))
    await db.execute(delete(WebSession).where(WebSession.expires_at < now))
    await db.commit()
    request.set_session({"sid": session_id, **cookie})


async def subject(connection: ASGIConnection[Any, Any, Any, Any], db: AsyncSession) -> str | None:
    """Who this browser is signed in as, or None (no cookie, signed out, expired)."""
    session_id = _cookie(connection).get("sid")
    if not isinstance(session_id, str) or not session_id:
        return None
    return await db.scalar(
        select(WebSession.subject).where(
            WebSession.id_hash == _digest(session_id), WebSession.expires_at > utcnow()
        )
    )


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
