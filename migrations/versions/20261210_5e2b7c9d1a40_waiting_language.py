"""waiting_language: the language a buyer joined a waiting list in (its emails are written in it)

Revision ID: 5e2b7c9d1a40
Revises: 1a18e5c0de01
Create Date: 2026-12-03 04:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2b7c9d1a40"
down_revision: str | Sequence[str] | None = "1a18e5c0de01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "waiting_entry",
        sa.Column("language", sa.String(length=5), server_default="en", nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("waiting_entry", "language")
