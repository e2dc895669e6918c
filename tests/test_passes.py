"""Issuing and voiding passes: each change is a numbered server-origin sync change."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Event, PassChange, PassStatus
from api.passes import keys, services, tokens
from api.settings import Settings
from tests import factories


async def test_issued_passes_get_consecutive_change_numbers_and_verifiable_tokens(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=3)
    passes = await services.issue_passes(
        db, order=order, tier_id=tier.id, count=3, secret_key=settings.secret_key
    )
    await db.commit()
    assert [p.change_seq for p in passes] == [1, 2, 3]
    assert (await db.get_one(Event, event.id)).change_seq == 3
    public = await keys.event_public_keys(db, event_id=event.id)
    for item in passes:
        token = await services.pass_token(db, item=item, secret_key=settings.secret_key)
        check = tokens.verify(token, keys=public)
        assert check.ok
        assert check.pass_key == item.pass_key


async def test_voiding_records_a_new_change_and_repeating_it_changes_nothing(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event)
    order = await factories.paid_order(db, event=event, tier=tier, quantity=2)
    passes = await services.issue_passes(
        db, order=order, tier_id=tier.id, count=2, secret_key=settings.secret_key
    )
    voided = await services.set_status(db, passes=passes, status=PassStatus.void, reason="refunded")
    again = await services.set_status(db, passes=passes, status=PassStatus.void, reason="refunded")
    await db.commit()
    assert [p.change_seq for p in voided] == [3, 4]
    assert again == []
    log = (
        await db.scalars(
            select(PassChange).where(PassChange.event_id == event.id).order_by(PassChange.seq)
        )
    ).all()
    assert [(c.seq, c.status, c.reason) for c in log] == [
        (1, "valid", "issued"),
        (2, "valid", "issued"),
        (3, "void", "refunded"),
        (4, "void", "refunded"),
    ]


async def test_private_keys_are_encrypted_at_rest_and_need_the_same_secret(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db)
    key = await keys.create_event_key(db, event_id=event.id, secret_key=settings.secret_key)
    private = keys.decrypt_private_key(key.private_key_encrypted, secret_key=settings.secret_key)
    assert private.public_key().public_bytes_raw() == key.public_key
    assert key.public_key not in key.private_key_encrypted
    with pytest.raises(keys.KeyDecryptionError, match="Restore the SECRET_KEY"):
        keys.decrypt_private_key(key.private_key_encrypted, secret_key="another-secret" * 4)


async def test_rotating_a_key_keeps_old_passes_verifiable(
    db: AsyncSession, settings: Settings
) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event)
    order = await factories.paid_order(db, event=event, tier=tier)
    [old] = await services.issue_passes(
        db, order=order, tier_id=tier.id, count=1, secret_key=settings.secret_key
    )
    new_key = await keys.create_event_key(db, event_id=event.id, secret_key=settings.secret_key)
    [new] = await services.issue_passes(
        db, order=order, tier_id=tier.id, count=1, secret_key=settings.secret_key
    )
    await db.commit()
    assert new.key_id == new_key.id != old.key_id
    public = await keys.event_public_keys(db, event_id=event.id)
    for item in (old, new):
        token = await services.pass_token(db, item=item, secret_key=settings.secret_key)
        assert tokens.verify(token, keys=public).ok
