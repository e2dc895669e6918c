"""rate-limit counters unlogged: a count need not survive a crash, and its commit need not wait

`rate_limit_hit` is counted once for every public POST. As a logged table, each count's commit
waited for its WAL flush (about 2 ms on the bench machine) and added that flush to the disk's
queue in front of the sales'. An UNLOGGED table writes no WAL, so a transaction touching only
it commits without waiting for a flush; after a crash PostgreSQL empties it, which only resets
the current windows' allowances. A standby has no copy (it never counts).

Revision ID: b1e2d3c4f5a6
Revises: a6f7e2c4b913
Create Date: 2026-12-03 01:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "b1e2d3c4f5a6"
down_revision: str | Sequence[str] | None = "a6f7e2c4b913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("ALTER TABLE rate_limit_hit SET UNLOGGED")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("ALTER TABLE rate_limit_hit SET LOGGED")
