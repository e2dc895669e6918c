"""hold allowance: seats one address or email may hold in unpaid checkouts at once

Two unpaid checkouts of 10 from one address held a 20-seat tier for 31 minutes. Each holder
(`ip:<client key>`, `email:<address>`) now has a row counting the seats it holds, taken in the
checkout's own statement and refused past its cap by a CHECK; each order keeps the client key it
counted against while its hold lives. Orders held before this revision have no `hold_client`
and are given back to no allowance. The partial index serves "when may held seats come back"
on the event page and the expiry sweep.

Revision ID: 9d3b6f1a7c42
Revises: c4a9e2f70b15
Create Date: 2026-12-03 11:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d3b6f1a7c42"
down_revision: str | Sequence[str] | None = "c4a9e2f70b15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hold_allowance",
        sa.Column("holder", sa.String(length=400), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.CheckConstraint("seats >= 0", name=op.f("ck_hold_allowance_seats_nonnegative")),
        sa.CheckConstraint("seats <= cap", name=op.f("ck_hold_allowance_within_cap")),
        sa.PrimaryKeyConstraint("holder", name=op.f("pk_hold_allowance")),
    )
    op.add_column("order", sa.Column("hold_client", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_order_pending_hold",
        "order",
        ["event_id", "hold_expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_order_pending_hold", table_name="order")
    op.drop_column("order", "hold_client")
    op.drop_table("hold_allowance")
