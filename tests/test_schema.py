"""The schema: built by migrations only, with constraints that protect money and capacity."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Scan, ScannerDevice, StripeEvent, utcnow
from api.db.migrate import alembic_config
from tests import factories
from tests.pg import PostgresForTests


async def test_migrations_build_an_empty_database_and_match_the_models(
    postgres: PostgresForTests,
) -> None:
    url = await postgres.new_database(migrated=False)
    try:
        config = alembic_config(url)
        await asyncio.to_thread(command.upgrade, config, "head")
        # `alembic check` raises when the models and the migrated schema differ.
        await asyncio.to_thread(command.check, config)
        await asyncio.to_thread(command.downgrade, config, "base")
        await asyncio.to_thread(command.upgrade, config, "head")
    finally:
        await postgres.drop_database(url)


async def test_a_tier_can_never_hold_or_sell_beyond_capacity(db: AsyncSession) -> None:
    event = await factories.event(db)
    tier = await factories.tier(db, event=event, capacity=10)
    await db.commit()
    await db.execute(
        text("UPDATE ticket_tier SET sold = 6, held = 4 WHERE id = :id"), {"id": tier.id}
    )
    await db.commit()
    with pytest.raises(IntegrityError, match="never_oversold"):
        await db.execute(text("UPDATE ticket_tier SET held = 5 WHERE id = :id"), {"id": tier.id})
    await db.rollback()


async def test_negative_prices_are_refused_by_the_database(db: AsyncSession) -> None:
    event = await factories.event(db)
    with pytest.raises(IntegrityError, match="price_nonnegative"):
        await factories.tier(db, event=event, price_minor=-1)
    await db.rollback()


async def test_a_device_cannot_store_two_scans_with_the_same_seq(db: AsyncSession) -> None:
    event = await factories.event(db)
    device = ScannerDevice(event_id=event.id, name="Gate A", token_hash=b"x" * 32)
    db.add(device)
    await db.flush()
    for _ in range(2):
        db.add(
            Scan(
                event_id=event.id,
                device_id=device.id,
                seq=1,
                verdict="admit",
                admitted=True,
                door="Gate A",
                scanned_at=utcnow(),
                vector={},
            )
        )
    with pytest.raises(IntegrityError, match="uq_scan_device_id"):
        await db.flush()
    await db.rollback()


async def test_a_stripe_event_id_is_stored_once(db: AsyncSession) -> None:
    db.add(StripeEvent(id="evt_1", type="charge.refunded"))
    await db.commit()
    db.add(StripeEvent(id="evt_1", type="charge.refunded"))
    with pytest.raises(IntegrityError, match="pk_stripe_event"):
        await db.commit()
    await db.rollback()


async def test_event_end_before_start_is_refused(db: AsyncSession) -> None:
    event = await factories.event(db)
    event.ends_at = event.starts_at
    with pytest.raises(IntegrityError, match="ends_after_start"):
        await db.flush()
    await db.rollback()
