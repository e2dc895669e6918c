"""one active signing key per event: a unique partial index on event_key (event_id) WHERE active

A new event's first buyers arriving together each found no key and inserted their own: 20 at
once made 12 keys, 10 of them active, and the active key read afterwards was any of them.
Events now get their key when they are made, and this index lets the database hold at most one
active key per event; a sale that finds none inserts ON CONFLICT DO NOTHING and reads the
winner (api.passes.keys.active_key).

Events that already have several active keys keep the oldest active and retire the others:
passes signed by a retired key still verify (doors receive every key id of the event).

Revision ID: e3b8c1f4d907
Revises: a71d3e0c5b28
Create Date: 2026-12-04 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3b8c1f4d907"
down_revision: str | Sequence[str] | None = "a71d3e0c5b28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE event_key SET active = false, retired_at = now()
        WHERE active AND id NOT IN (
            SELECT DISTINCT ON (event_id) id FROM event_key
            WHERE active
            ORDER BY event_id, created_at, id
        )
        """
    )
    op.create_index(
        "uq_event_key_active_event_id",
        "event_key",
        ["event_id"],
        unique=True,
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_event_key_active_event_id", table_name="event_key", postgresql_where=sa.text("active")
    )
