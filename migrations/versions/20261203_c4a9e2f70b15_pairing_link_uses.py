"""pairing link uses: single-use or N-use links, and which link paired each phone

A pairing link used to pair any number of phones for 7 days. Each link now holds `max_uses`
and `uses_left` (taken by one conditional UPDATE per pairing, so a link is never used more
times than it allows, whatever the race), and each device records the link it paired with.

Links made before this revision were unlimited; the ones still alive keep 10 uses, so a door
team already handed a link tonight still pairs, but a forwarded link no longer pairs everyone.

Revision ID: c4a9e2f70b15
Revises: 5e55a0c1d2b3
Create Date: 2026-12-03 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4a9e2f70b15"
down_revision: str | Sequence[str] | None = "5e55a0c1d2b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "scanner_pairing",
        sa.Column("max_uses", sa.Integer(), server_default="1", nullable=False),
    )
    op.add_column(
        "scanner_pairing",
        sa.Column("uses_left", sa.Integer(), server_default="1", nullable=False),
    )
    op.execute(
        "UPDATE scanner_pairing SET max_uses = 10, uses_left = 10"
        " WHERE revoked_at IS NULL AND expires_at > now()"
    )
    op.create_check_constraint(
        op.f("ck_scanner_pairing_uses_in_range"),
        "scanner_pairing",
        "uses_left >= 0 AND uses_left <= max_uses",
    )
    op.add_column("scanner_device", sa.Column("pairing_id", sa.Uuid(), nullable=True))
    op.create_index(
        op.f("ix_scanner_device_pairing_id"), "scanner_device", ["pairing_id"], unique=False
    )
    op.create_foreign_key(
        op.f("fk_scanner_device_pairing_id_scanner_pairing"),
        "scanner_device",
        "scanner_pairing",
        ["pairing_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_scanner_device_pairing_id_scanner_pairing"), "scanner_device", type_="foreignkey"
    )
    op.drop_index(op.f("ix_scanner_device_pairing_id"), table_name="scanner_device")
    op.drop_column("scanner_device", "pairing_id")
    op.drop_constraint(op.f("ck_scanner_pairing_uses_in_range"), "scanner_pairing", type_="check")
    op.drop_column("scanner_pairing", "uses_left")
    op.drop_column("scanner_pairing", "max_uses")
