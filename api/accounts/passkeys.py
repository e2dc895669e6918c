"""Passkeys (WebAuthn) for staff and the operator, beside magic links.

Both ceremonies go the same way: the server hands the browser options with a fresh 32-byte
challenge, kept server-side (only its SHA-256, in `passkey_challenge`) for five minutes; the
browser's answer names its challenge in clientDataJSON, and the server takes that challenge
with one DELETE … RETURNING, committed before anything is verified, so an answer replayed (or
raced twice) finds nothing the second time. py_webauthn (`webauthn`) checks the rest: origin,
RP id (both from BASE_URL), signature, user presence, and on sign-in the signature counter,
which must grow when an authenticator keeps one (a lower one means a cloned key).

Credentials are discoverable (resident keys), so "Sign in with a passkey" asks for no email:
the authenticator offers the passkeys it holds for this site, and the credential id says whose
it is. The WebAuthn user handle is an HMAC of the subject under SECRET_KEY, not the email.

Owners may require passkeys for their organizer (`passkey_requirement`): a member of it who has
a passkey may then not sign in by magic link. A member with none still may, so the link is how
a new member enrols a first passkey (README: "Passkeys for staff").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from api import audit
from api.db import OrganizerMember, Passkey, PasskeyChallenge, PasskeyRequirement, utcnow

CHALLENGE_TTL = timedelta(minutes=5)
RP_NAME = "POCtix"
OPERATOR = "operator"
NAME_MAX = 100
UNREADABLE = (WebAuthnException, ValueError, KeyError, TypeError)
"""What the webauthn library raises on a browser answer it cannot read or verify."""


class PasskeyError(Exception):
    """A ceremony refused; the message is for the person."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str


def relying_party(base_url: str) -> RelyingParty:
    """The RP id is BASE_URL's host name, the expected origin its scheme, host and port."""
    parts = urlsplit(base_url)
    return RelyingParty(id=parts.hostname or "localhost", origin=f"{parts.scheme}://{parts.netloc}")


def _digest(challenge: bytes) -> bytes:
    return hashlib.sha256(challenge).digest()


def _user_handle(subject: str, secret_key: str) -> bytes:
    key = hashlib.sha256(b"poctix passkey user handle v1\0" + secret_key.encode()).digest()
    return hmac.new(key, subject.encode(), hashlib.sha256).digest()


async def _new_challenge(db: AsyncSession, *, purpose: str, subject: str | None) -> bytes:
    now = utcnow()
    await db.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < now))
    challenge = secrets.token_bytes(32)
    db.add(
        PasskeyChallenge(
            challenge_hash=_digest(challenge),
            purpose=purpose,
            subject=subject,
            expires_at=now + CHALLENGE_TTL,
        )
    )
    await db.commit()
    return challenge


async def _take_challenge(
    db: AsyncSession, client_data_json: bytes, *, purpose: str, subject: str | None
) -> bytes:
    """The challenge the browser answered, used up (committed) whatever happens next."""
    try:
        challenge = parse_client_data_json(client_data_json).challenge
    except UNREADABLE as exc:
        raise PasskeyError("The browser's answer could not be read.") from exc
    row = await db.execute(
        text(
            "DELETE FROM passkey_challenge WHERE challenge_hash = :h AND purpose = :p "
            "AND subject IS NOT DISTINCT FROM :s AND expires_at > now() RETURNING 1"
        ),
        {"h": _digest(challenge), "p": purpose, "s": subject},
    )
    found = row.scalar_one_or_none()
    await db.commit()
    if found is None:
        raise PasskeyError("This passkey request expired or was already used. Try again.")
    return challenge


async def passkeys_of(db: AsyncSession, *, subject: str) -> list[Passkey]:
    return list(
        await db.scalars(select(Passkey).where(Passkey.subject == subject).order_by(Passkey.id))
    )


async def registration_options(
    db: AsyncSession, *, subject: str, base_url: str, secret_key: str
) -> str:
    """Options (JSON) for `navigator.credentials.create`, excluding passkeys already held."""
    rp = relying_party(base_url)
    held = await passkeys_of(db, subject=subject)
    challenge = await _new_challenge(db, purpose="register", subject=subject)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_id=_user_handle(subject, secret_key),
        user_name=subject,
        user_display_name="Platform operator" if subject == OPERATOR else subject,
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=p.credential_id, transports=_transports(p))
            for p in held
        ],
    )
    return options_to_json(options)


def _transports(passkey: Passkey) -> list[AuthenticatorTransport]:
    known = {t.value for t in AuthenticatorTransport}
    return [AuthenticatorTransport(t) for t in passkey.transports if t in known]


async def register(
    db: AsyncSession, *, subject: str, name: str, credential: Any, base_url: str
) -> Passkey:
    """Verify the browser's `create()` answer and keep the passkey (commits)."""
    name = " ".join(name.split())[:NAME_MAX] or "Passkey"
    try:
        parsed = parse_registration_credential_json(credential)
    except UNREADABLE as exc:
        raise PasskeyError("The browser's answer could not be read.") from exc
    challenge = await _take_challenge(
        db, parsed.response.client_data_json, purpose="register", subject=subject
    )
    rp = relying_party(base_url)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except UNREADABLE as exc:
        raise PasskeyError(f"This passkey could not be verified: {exc}") from exc
    taken = await db.scalar(
        select(Passkey.id).where(Passkey.credential_id == verified.credential_id)
    )
    if taken is not None:
        raise PasskeyError("This passkey is registered already.")
    passkey = Passkey(
        subject=subject,
        name=name,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t.value for t in parsed.response.transports or []],
    )
    db.add(passkey)
    await _audit(db, subject, "passkey.added", name)
    await db.commit()
    return passkey


async def authentication_options(db: AsyncSession, *, base_url: str) -> str:
    """Options (JSON) for `navigator.credentials.get`: any passkey of this site (discoverable)."""
    challenge = await _new_challenge(db, purpose="sign_in", subject=None)
    options = generate_authentication_options(
        rp_id=relying_party(base_url).id,
        challenge=challenge,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


async def sign_in(db: AsyncSession, *, credential: Any, base_url: str) -> str:
    """Verify the browser's `get()` answer: the subject it signs in (commits the new counter)."""
    try:
        parsed = parse_authentication_credential_json(credential)
    except UNREADABLE as exc:
        raise PasskeyError("The browser's answer could not be read.") from exc
    challenge = await _take_challenge(
        db, parsed.response.client_data_json, purpose="sign_in", subject=None
    )
    passkey = await db.scalar(
        select(Passkey).where(Passkey.credential_id == parsed.raw_id).with_for_update()
    )
    if passkey is None:
        raise PasskeyError("This passkey is not registered here (or was removed).")
    rp = relying_party(base_url)
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except UNREADABLE as exc:
        await db.rollback()
        raise PasskeyError(f"This passkey could not be verified: {exc}") from exc
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    subject = passkey.subject
    await db.commit()
    return subject


async def remove(db: AsyncSession, *, subject: str, passkey_id: uuid.UUID) -> bool:
    """Remove one of `subject`'s passkeys (commits); False when there is no such passkey."""
    passkey = await db.scalar(
        select(Passkey).where(Passkey.id == passkey_id, Passkey.subject == subject)
    )
    if passkey is None:
        return False
    await db.delete(passkey)
    await _audit(db, subject, "passkey.removed", passkey.name)
    await db.commit()
    return True


async def required_by(db: AsyncSession, *, email: str) -> list[uuid.UUID]:
    """The organizers of `email` whose owners require passkeys."""
    return list(
        await db.scalars(
            select(PasskeyRequirement.organizer_id)
            .join(OrganizerMember, OrganizerMember.organizer_id == PasskeyRequirement.organizer_id)
            .where(OrganizerMember.email == email)
        )
    )


async def magic_link_refused(db: AsyncSession, *, email: str) -> bool:
    """Whether `email` must use a passkey: one of their organizers requires it and they have
    one. Each refusal is written to those organizers' audit logs (commits)."""
    organizers = await required_by(db, email=email)
    if not organizers or not await passkeys_of(db, subject=email):
        return False
    for organizer_id in organizers:
        audit.record(
            db, organizer_id=organizer_id, actor=email, action="sign_in.magic_link_refused"
        )
    await db.commit()
    return True


async def is_required(db: AsyncSession, *, organizer_id: uuid.UUID) -> bool:
    return await db.get(PasskeyRequirement, organizer_id) is not None


async def set_required(
    db: AsyncSession, *, organizer_id: uuid.UUID, required: bool, actor: str
) -> None:
    """Require passkeys for an organizer's members, or stop requiring them (audited; commits)."""
    current = await db.get(PasskeyRequirement, organizer_id)
    if required == (current is not None):
        return
    if required:
        db.add(PasskeyRequirement(organizer_id=organizer_id, set_by=actor))
    else:
        await db.delete(current)
    audit.record(
        db,
        organizer_id=organizer_id,
        actor=actor,
        action="passkeys.required" if required else "passkeys.optional",
    )
    await db.commit()


async def members_with_passkeys(
    db: AsyncSession, *, organizer_id: uuid.UUID
) -> list[tuple[OrganizerMember, int]]:
    """An organizer's members, each with how many passkeys they hold."""
    members = await db.scalars(
        select(OrganizerMember)
        .where(OrganizerMember.organizer_id == organizer_id)
        .order_by(OrganizerMember.email)
    )
    rows = await db.execute(
        select(Passkey.subject, func.count())
        .join(OrganizerMember, OrganizerMember.email == Passkey.subject)
        .where(OrganizerMember.organizer_id == organizer_id)
        .group_by(Passkey.subject)
    )
    counts: dict[str, int] = {subject: count for subject, count in rows}
    return [(m, counts.get(m.email, 0)) for m in members]


async def reset_member(
    db: AsyncSession, *, organizer_id: uuid.UUID, member_id: uuid.UUID, actor: str
) -> bool:
    """Remove every passkey of one of the organizer's members (one who lost theirs signs in by
    link again and adds a new one); audited, commits. False when there is no such member."""
    member = await db.scalar(
        select(OrganizerMember).where(
            OrganizerMember.id == member_id, OrganizerMember.organizer_id == organizer_id
        )
    )
    if member is None:
        return False
    await db.execute(delete(Passkey).where(Passkey.subject == member.email))
    audit.record(
        db, organizer_id=organizer_id, actor=actor, action="passkeys.reset", target=member.email
    )
    await db.commit()
    return True


async def _audit(db: AsyncSession, subject: str, action: str, name: str) -> None:
    """A passkey added or removed is written to the audit log of each of the person's
    organizers (the operator's, to the platform's)."""
    if subject == OPERATOR:
        audit.record_platform(db, actor=subject, action=action, target=name)
        return
    organizers = await db.scalars(
        select(OrganizerMember.organizer_id).where(OrganizerMember.email == subject)
    )
    for organizer_id in organizers:
        audit.record(db, organizer_id=organizer_id, actor=subject, action=action, target=name)
