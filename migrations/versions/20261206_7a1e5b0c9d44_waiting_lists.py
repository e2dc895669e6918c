"""waiting lists: waiting_entry and waiting_list_settings

A sold-out tier's waiting list (issue 17, "Waiting list"): entries in order, one per email per
tier while waiting or offered; an offer holds its seats in the tier's `held` until it is
claimed or expires. A tier's own offer length and whether its list is open are a row of
waiting_list_settings (none: 24 hours, open).

Revision ID: 7a1e5b0c9d44
Revises: c0de5a17e001
Create Date: 2026-12-06 00:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a1e5b0c9d44"
down_revision: str | Sequence[str] | None = "c0de5a17e001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waiting_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("tier_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="waiting", nullable=False),
        sa.Column("offer_token", sa.String(length=43), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offered_by", sa.String(length=320), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting','offered','claimed','expired','removed')",
            name=op.f("ck_waiting_entry_status_known"),
        ),
        sa.CheckConstraint(
            "quantity BETWEEN 1 AND 100", name=op.f("ck_waiting_entry_quantity_range")
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_waiting_entry_email_lowercase")),
        sa.CheckConstraint(
            "status <> 'offered' OR (offer_token IS NOT NULL AND offer_expires_at IS NOT NULL)",
            name=op.f("ck_waiting_entry_offer_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_waiting_entry_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"],
            ["ticket_tier.id"],
            name=op.f("fk_waiting_entry_tier_id_ticket_tier"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["order.id"],
            name=op.f("fk_waiting_entry_order_id_order"),
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiting_entry")),
        sa.UniqueConstraint("offer_token", name=op.f("uq_waiting_entry_offer_token")),
    )
    op.create_index(op.f("ix_waiting_entry_event_id"), "waiting_entry", ["event_id"])
    op.create_index(
        "uq_waiting_entry_active_email", "waiting_entry", ["tier_id", "email"], unique=True,
        postgresql_where=sa.text("status IN ('waiting','offered')"),
    )  # fmt: skip
    op.create_index(
        "ix_waiting_entry_line", "waiting_entry", ["tier_id", "created_at", "id"],
        postgresql_where=sa.text("status = 'waiting'"),
    )  # fmt: skip
    op.create_index(
        "ix_waiting_entry_offer_expiry", "waiting_entry", ["offer_expires_at"],
        postgresql_where=sa.text("status = 'offered'"),
    )  # fmt: skip
    op.create_table(
        "waiting_list_settings",
        sa.Column("tier_id", sa.Uuid(), nullable=False),
        sa.Column("offer_hours", sa.Integer(), server_default="24", nullable=False),
        sa.Column("open", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "offer_hours BETWEEN 1 AND 168", name=op.f("ck_waiting_list_settings_offer_hours_range")
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"],
            ["ticket_tier.id"],
            name=op.f("fk_waiting_list_settings_tier_id_ticket_tier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tier_id", name=op.f("pk_waiting_list_settings")),
    )


def downgrade() -> None:
    op.drop_table("waiting_list_settings")
    op.drop_index("ix_waiting_entry_offer_expiry", table_name="waiting_entry")
    op.drop_index("ix_waiting_entry_line", table_name="waiting_entry")
    op.drop_index("uq_waiting_entry_active_email", table_name="waiting_entry")
    op.drop_index(op.f("ix_waiting_entry_event_id"), table_name="waiting_entry")
    op.drop_table("waiting_entry")
