"""self-service: per-event transfer and cancellation rules, and the record of each transfer

`self_service_policy` (one row per event, none: nothing allowed) says whether buyers may
transfer or rename a ticket and cancel their order, until how many hours before the start, and
whether a cancellation refunds the platform fee. `pass_transfer` links each pass voided by a
transfer to the pass issued in its place (api/passes/transfer.py).

Revision ID: 5e1f5e4c1a90
Revises: a3c7e1d9b582
Create Date: 2026-12-06 00:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1f5e4c1a90"
down_revision: str | Sequence[str] | None = "a3c7e1d9b582"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "self_service_policy",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("transfers", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("transfer_hours", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cancellation", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("cancel_hours", sa.Integer(), server_default="48", nullable=False),
        sa.Column("cancel_refunds_fee", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "transfer_hours BETWEEN 0 AND 8760 AND cancel_hours BETWEEN 0 AND 8760",
            name=op.f("ck_self_service_policy_hours_range"),
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE",
                                name=op.f("fk_self_service_policy_event_id_event")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_self_service_policy")),
    )  # fmt: skip
    op.create_table(
        "pass_transfer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("from_pass_id", sa.Uuid(), nullable=False),
        sa.Column("to_pass_id", sa.Uuid(), nullable=False),
        sa.Column("from_order_id", sa.Uuid(), nullable=False),
        sa.Column("to_order_id", sa.Uuid(), nullable=False),
        sa.Column("from_email", sa.String(320), nullable=False),
        sa.Column("to_email", sa.String(320), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE",
                                name=op.f("fk_pass_transfer_event_id_event")),
        sa.ForeignKeyConstraint(["from_pass_id"], ["pass.id"],
                                name=op.f("fk_pass_transfer_from_pass_id_pass")),
        sa.ForeignKeyConstraint(["to_pass_id"], ["pass.id"],
                                name=op.f("fk_pass_transfer_to_pass_id_pass")),
        sa.ForeignKeyConstraint(["from_order_id"], ["order.id"],
                                name=op.f("fk_pass_transfer_from_order_id_order")),
        sa.ForeignKeyConstraint(["to_order_id"], ["order.id"],
                                name=op.f("fk_pass_transfer_to_order_id_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_transfer")),
        sa.UniqueConstraint("from_pass_id", name=op.f("uq_pass_transfer_from_pass_id")),
        sa.UniqueConstraint("to_pass_id", name=op.f("uq_pass_transfer_to_pass_id")),
    )  # fmt: skip
    op.create_index(op.f("ix_pass_transfer_event_id"), "pass_transfer", ["event_id"])
    op.create_index(op.f("ix_pass_transfer_from_order_id"), "pass_transfer", ["from_order_id"])
    op.create_index(op.f("ix_pass_transfer_to_order_id"), "pass_transfer", ["to_order_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pass_transfer_to_order_id"), table_name="pass_transfer")
    op.drop_index(op.f("ix_pass_transfer_from_order_id"), table_name="pass_transfer")
    op.drop_index(op.f("ix_pass_transfer_event_id"), table_name="pass_transfer")
    op.drop_table("pass_transfer")
    op.drop_table("self_service_policy")
