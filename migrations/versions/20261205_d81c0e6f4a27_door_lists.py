"""door lists: which passes a door admits, and when (sync/PROTOCOL.md section 18)

A door_list per event names the tiers it admits (NULL: all), an optional window and whether a
pass scanned out may come back in; its `seq` is the number of its latest change, from the
event's own `list_seq` counter, apart from the pass changes' `change_seq` so phones that never
heard of lists keep a gap-free vector. Pairing links and the phones they pair are bound to one
list (NULL: the default list, every tier at any time, as before).

Revision ID: d81c0e6f4a27
Revises: b5d2f8a3c161
Create Date: 2026-12-05 12:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d81c0e6f4a27"
down_revision: str | Sequence[str] | None = "b5d2f8a3c161"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "event", sa.Column("list_seq", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.create_table(
        "door_list",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("tier_ids", postgresql.ARRAY(sa.Uuid()), nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reentry", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
            name=op.f("ck_door_list_closes_after_opening"),
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE",
                                name=op.f("fk_door_list_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_door_list")),
        sa.UniqueConstraint("event_id", "name", name=op.f("uq_door_list_event_id_name")),
    )  # fmt: skip
    op.create_index(op.f("ix_door_list_event_id"), "door_list", ["event_id"])
    for table in ("scanner_pairing", "scanner_device"):
        op.add_column(table, sa.Column("door_list_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_door_list_id_door_list"),
            table,
            "door_list",
            ["door_list_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    for table in ("scanner_device", "scanner_pairing"):
        op.drop_constraint(op.f(f"fk_{table}_door_list_id_door_list"), table, type_="foreignkey")
        op.drop_column(table, "door_list_id")
    op.drop_index(op.f("ix_door_list_event_id"), table_name="door_list")
    op.drop_table("door_list")
    op.drop_column("event", "list_seq")
