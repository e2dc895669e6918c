"""Magic links: 256-bit single-use tokens, 15 minutes, only their SHA-256 stored.

The email needs the token itself, so the outbox row carries it encrypted with a key derived from
SECRET_KEY (never in clear text at rest), and the mail job drops it once sent. Consuming is one
conditional UPDATE, so twenty concurrent clicks of one link make exactly one session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api import i18n
from api.crypto import fernet
from api.db import LoginToken, OrganizerMember, OutboxMessage, utcnow
from api.mail.addresses import deliverable

TOKEN_TTL = timedelta(minutes=15)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _fernet(secret_key: str) -> Fernet:
    return fernet(secret_key, b"poctix login links in outbox v1")


def seal(token: str, *, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(token.encode()).decode()


def unseal(sealed: str, *, secret_key: str) -> str | None:
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def login_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/login/confirm?token={token}"


def new_login_token(session: AsyncSession, *, email: str) -> str:
    """A fresh single-use link token for `email` (only its hash is stored), added to the
    session; the caller commits and delivers it."""
    token = secrets.token_urlsafe(32)
    session.add(LoginToken(token_hash=_digest(token), email=email, expires_at=utcnow() + TOKEN_TTL))
    return token


async def request_login(
    session: AsyncSession, *, email: str, secret_key: str, next_path: str = "/account"
) -> bool:
    """Queue a sign-in link for `email`. Known or not, the caller answers the same way; an
    address that cannot receive mail gets nothing. Returns whether a link was queued."""
    address = email.strip().lower()
    if not deliverable(address):
        return False
    token = new_login_token(session, email=address)
    session.add(
        OutboxMessage(
            kind="login_link",
            payload={
                "email": address,
                "sealed_token": seal(token, secret_key=secret_key),
                "next": next_path,
                "language": i18n.current(),  # the email reads like the page that asked for it
            },
            available_at=utcnow(),
        )
    )
    await session.commit()
    return True


async def consume(session: AsyncSession, *, token: str) -> str | None:
    """Use a link once: the email it was for, or None (unknown, used or expired)."""
    if not 20 <= len(token) <= 100:
        return None
    row = await session.execute(
        text(
            "UPDATE login_token SET used_at = now() "
            "WHERE token_hash = :h AND used_at IS NULL AND expires_at > now() RETURNING email"
        ),
        {"h": _digest(token)},
    )
    email = row.scalar_one_or_none()
    await session.commit()
    return email


async def is_organizer_staff(session: AsyncSession, *, email: str) -> bool:
    found = await session.scalar(
        select(OrganizerMember.id).where(OrganizerMember.email == email).limit(1)
    )
    return found is not None
