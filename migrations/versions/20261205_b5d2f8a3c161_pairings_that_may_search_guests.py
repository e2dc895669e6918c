"""pairings that may search guests: scanner_pairing.may_search and scanner_device.may_search

The organizer chooses per pairing link "scan only" (the default, as before) or "scan and
search"; a phone paired with the second may download the event's guest names to find a guest
without their code (issue 16, section 3). The device keeps its own copy of the grant so a link
revoked later does not change what a paired phone may do.

Revision ID: b5d2f8a3c161
Revises: e3b8c1f4d907
Create Date: 2026-12-05 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d2f8a3c161"
down_revision: str | Sequence[str] | None = "e3b8c1f4d907"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("scanner_pairing", "scanner_device"):
        op.add_column(
            table,
            sa.Column("may_search", sa.Boolean(), server_default=sa.false(), nullable=False),
        )


def downgrade() -> None:
    for table in ("scanner_device", "scanner_pairing"):
        op.drop_column(table, "may_search")
