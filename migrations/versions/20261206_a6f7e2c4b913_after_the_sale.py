"""after the sale: event cancellations, comps (order.source) and messages to ticket holders

`event.cancelled_at` says an event is cancelled (its page says so, nothing sells); the
`event_cancellation` row (one per event) is the durable record that the outbox jobs refunding,
voiding and emailing each order belong to. `order.source` tells a comp (free passes staff
issued to a guest) from a sale. `broadcast` keeps each message sent to ticket holders once.

Revision ID: a6f7e2c4b913
Revises: 5e1f5e4c1a90, e3c0f17a2b58
Create Date: 2026-12-06 00:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a6f7e2c4b913"
down_revision: str | Sequence[str] | None = ("5e1f5e4c1a90", "e3c0f17a2b58")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "order", sa.Column("source", sa.String(10), server_default="sale", nullable=False)
    )
    op.create_table(
        "event_cancellation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.CheckConstraint("orders >= 0 AND passes >= 0",
                           name=op.f("ck_event_cancellation_counts_nonnegative")),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE",
                                name=op.f("fk_event_cancellation_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_cancellation")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_cancellation_event_id")),
    )  # fmt: skip
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("tier_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.CheckConstraint("recipients >= 0", name=op.f("ck_broadcast_recipients_nonnegative")),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE",
                                name=op.f("fk_broadcast_event_id_event")),
        sa.ForeignKeyConstraint(["tier_id"], ["ticket_tier.id"], ondelete="SET NULL",
                                name=op.f("fk_broadcast_tier_id_ticket_tier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast")),
    )  # fmt: skip
    op.create_index(op.f("ix_broadcast_event_id"), "broadcast", ["event_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_broadcast_event_id"), table_name="broadcast")
    op.drop_table("broadcast")
    op.drop_table("event_cancellation")
    op.drop_column("order", "source")
    op.drop_column("event", "cancelled_at")
