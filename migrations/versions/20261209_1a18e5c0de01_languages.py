"""languages: the event's default language and the language each order was placed in

Revision ID: 1a18e5c0de01
Revises: d7e1a2b3c4f5
Create Date: 2026-12-03 03:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1a18e5c0de01"
down_revision: str | Sequence[str] | None = "d7e1a2b3c4f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "event",
        sa.Column("default_language", sa.String(length=5), server_default="en", nullable=False),
    )
    op.add_column(
        "order", sa.Column("language", sa.String(length=5), server_default="en", nullable=False)
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("order", "language")
    op.drop_column("event", "default_language")
