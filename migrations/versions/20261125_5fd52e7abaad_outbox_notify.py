"""outbox notify: wake the outbox workers when rows are inserted

Every statement that inserts into `outbox_message` sends `NOTIFY outbox`. PostgreSQL delivers
notifications only when the inserting transaction commits (and folds duplicates within one
transaction), so a worker that LISTENs on `outbox` wakes exactly when new work becomes visible.
Autogenerate does not compare triggers, so `alembic check` is unaffected.

Revision ID: 5fd52e7abaad
Revises: 187fb3250ec4
Create Date: 2026-11-25 16:38:53.702193

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5fd52e7abaad"
down_revision: str | Sequence[str] | None = "187fb3250ec4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(
        """
        CREATE FUNCTION outbox_message_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('outbox', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER outbox_message_notify
        AFTER INSERT ON outbox_message
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_message_notify()
        """
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP TRIGGER IF EXISTS outbox_message_notify ON outbox_message")
    op.execute("DROP FUNCTION IF EXISTS outbox_message_notify()")
