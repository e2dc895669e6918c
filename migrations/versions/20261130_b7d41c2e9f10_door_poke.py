"""door poke: NOTIFY door with the event id whenever its door figures may have changed

The dashboard's live door view listens on `door` (one connection per app process) and tells
each open page "pull the figures again" over server-sent events. Statement-level triggers with
transition tables send one notification per event touched, whichever path wrote the rows: a
scanner sync on any worker, a sale, a refund's voids, a device syncing. PostgreSQL delivers
notifications at commit and folds duplicates within a transaction.

Revision ID: b7d41c2e9f10
Revises: 026ae9a0e3c1
Create Date: 2026-11-30 11:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7d41c2e9f10"
down_revision: str | Sequence[str] | None = "026ae9a0e3c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (trigger name, table, event): transition tables allow one event per trigger.
TRIGGERS = [
    ("scan_door_poke", "scan", "INSERT"),
    ("pass_door_poke_insert", '"pass"', "INSERT"),
    ("pass_door_poke_update", '"pass"', "UPDATE"),
    ("scanner_device_door_poke_insert", "scanner_device", "INSERT"),
    ("scanner_device_door_poke_update", "scanner_device", "UPDATE"),
]


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(
        """
        CREATE FUNCTION door_poke() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            touched uuid;
        BEGIN
            FOR touched IN SELECT DISTINCT event_id FROM changed LOOP
                PERFORM pg_notify('door', touched::text);
            END LOOP;
            RETURN NULL;
        END
        $$
        """
    )
    for name, table, event in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} "
            "REFERENCING NEW TABLE AS changed "
            "FOR EACH STATEMENT EXECUTE FUNCTION door_poke()"
        )


def downgrade() -> None:
    """Downgrade schema."""
    for name, table, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS door_poke()")
