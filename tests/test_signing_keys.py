"""One signing key per event, whatever the race.

A new event's first buyers arriving together each found no key and made their own (check,
then insert): 20 simultaneous first buyers made 12 keys, 10 of them active, and the active key
was then any of them. Now an event gets its key when it is made, the database holds at most
one active key per event (a unique partial index), and a sale that finds none inserts with
ON CONFLICT DO NOTHING and reads the one that won.
"""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import services
from api.db import Event, EventKey, Pass
from api.db.engine import create_engine, session_factory
from api.events.services import published_event
from api.passes import keys, tokens
from api.passes.services import pass_token
from api.settings import Settings
from tests import factories
from tests.test_dashboard import sign_in, two_organizers
from tests.test_dashboard_events import EVENT, _post

Client = AsyncTestClient[Litestar]
BUYERS = 50


async def test_fifty_first_buyers_at_once_share_one_key_that_verifies_every_pass(
    settings: Settings, db: AsyncSession
) -> None:
    event = await factories.event(db)  # made without a key: the first sale creates it
    tier = await factories.tier(db, event=event, capacity=BUYERS)
    await db.commit()
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=BUYERS // 2)
    sessions = session_factory(engine)
    ready = asyncio.Barrier(BUYERS)

    async def first_buyer(n: int) -> None:
        async with sessions() as session:
            loaded = await published_event(session, slug=event.slug)
            assert loaded is not None
            await session.commit()
            await ready.wait()  # every buyer has read the event (and its lack of a key)
            form = services.CheckoutForm(quantities={tier.id: 1}, email=f"b{n}@example.com")
            await services.start_checkout(
                session, event=loaded, form=form, settings=settings, gateway=None
            )

    try:
        await asyncio.gather(*(first_buyer(n) for n in range(BUYERS)))
    finally:
        await engine.dispose()

    made = list(await db.scalars(select(EventKey).where(EventKey.event_id == event.id)))
    assert [k.active for k in made] == [True]
    public = await keys.event_public_keys(db, event_id=event.id)
    passes = list(await db.scalars(select(Pass).where(Pass.event_id == event.id)))
    assert len(passes) == BUYERS
    for item in passes:
        token = await pass_token(db, item=item, secret_key=settings.secret_key)
        check = tokens.verify(token, keys=public)
        assert (check.ok, check.kid) == (True, made[0].kid)


async def test_an_event_made_in_the_dashboard_has_its_key_and_no_second_active_one_fits(
    client: Client, settings: Settings, db: AsyncSession
) -> None:
    await two_organizers(db)
    await sign_in(client, db, settings, "staff@reef.example")
    status, _ = await _post(client, "/admin/events/new", "/admin/events/new", EVENT)
    assert status == 200
    event_id = await db.scalar(select(Event.id).where(Event.slug == EVENT["slug"]))
    assert event_id is not None
    active = select(EventKey.id).where(EventKey.event_id == event_id, EventKey.active)
    assert len((await db.scalars(active)).all()) == 1
    made = await keys.active_key(db, event_id=event_id, secret_key=settings.secret_key)
    again = await keys.active_key(db, event_id=event_id, secret_key=settings.secret_key)
    assert made.id == again.id
    db.add(
        EventKey(
            event_id=event_id, kid=tokens.new_kid(), public_key=made.public_key,
            private_key_encrypted=made.private_key_encrypted, active=True,
        )
    )  # fmt: skip
    with pytest.raises(IntegrityError, match="uq_event_key_active_event_id"):
        await db.commit()
    await db.rollback()
    count = select(func.count()).select_from(EventKey).where(EventKey.event_id == event_id)
    assert await db.scalar(count) == 1
