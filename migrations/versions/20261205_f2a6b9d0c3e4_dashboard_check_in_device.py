"""dashboard check-in device: scanner_device.dashboard, one per event

An organizer can check a guest in from the order page (online, issue 16 section 3). That check-in
is a scan like any other, a dot of its own origin: each event gets one server-side device named
"Dashboard" that never holds a token a phone could present (its token hash is of random bytes
nobody keeps). The unique partial index keeps it one per event under concurrent check-ins.

Revision ID: f2a6b9d0c3e4
Revises: d81c0e6f4a27
Create Date: 2026-12-05 14:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f2a6b9d0c3e4"
down_revision: str | Sequence[str] | None = "d81c0e6f4a27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "scanner_device",
        sa.Column("dashboard", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(
        "uq_scanner_device_dashboard_event_id",
        "scanner_device",
        ["event_id"],
        unique=True,
        postgresql_where=sa.text("dashboard"),
    )


def downgrade() -> None:
    op.drop_index("uq_scanner_device_dashboard_event_id", table_name="scanner_device")
    op.drop_column("scanner_device", "dashboard")
