"""discount and access codes: code, order.code_id and discount_minor, ticket_tier.hidden

Codes are rows with a use counter taken in the order's placement statement; the CHECK
`within_limit` is the arbiter of a code's limit, as `never_oversold` is of a tier's seats
(issue 17, "Codes").

Revision ID: c0de5a17e001
Revises: a3c7e1d9b582
Create Date: 2026-12-06 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c0de5a17e001"
down_revision: str | Sequence[str] | None = "a3c7e1d9b582"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "code",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("tier_ids", postgresql.ARRAY(sa.Uuid()), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint("code ~ '^[A-Z0-9][A-Z0-9_-]{0,39}$'", name=op.f("ck_code_code_format")),
        sa.CheckConstraint("kind IN ('none','percent','amount')", name=op.f("ck_code_kind_known")),
        sa.CheckConstraint(
            "(kind = 'none' AND value = 0) OR (kind = 'percent' AND value BETWEEN 1 AND 100)"
            " OR (kind = 'amount' AND value >= 1)",
            name=op.f("ck_code_value_fits_kind"),
        ),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_code_uses_nonnegative")),
        sa.CheckConstraint(
            "max_uses IS NULL OR max_uses >= 1", name=op.f("ck_code_max_uses_positive")
        ),
        sa.CheckConstraint(
            "max_uses IS NULL OR uses <= max_uses", name=op.f("ck_code_within_limit")
        ),
        sa.CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at",
            name=op.f("ck_code_window_order"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_code_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code")),
        sa.UniqueConstraint("event_id", "code", name=op.f("uq_code_event_id_code")),
    )
    op.add_column("order", sa.Column("code_id", sa.Uuid(), nullable=True))
    op.add_column(
        "order", sa.Column("discount_minor", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_index(op.f("ix_order_code_id"), "order", ["code_id"], unique=False)
    op.create_foreign_key(op.f("fk_order_code_id_code"), "order", "code", ["code_id"], ["id"])
    op.create_check_constraint(
        op.f("ck_order_discount_nonnegative"), "order", "discount_minor >= 0"
    )
    op.add_column(
        "ticket_tier",
        sa.Column("hidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("ticket_tier", "hidden")
    op.drop_constraint(op.f("ck_order_discount_nonnegative"), "order", type_="check")
    op.drop_constraint(op.f("fk_order_code_id_code"), "order", type_="foreignkey")
    op.drop_index(op.f("ix_order_code_id"), table_name="order")
    op.drop_column("order", "discount_minor")
    op.drop_column("order", "code_id")
    op.drop_table("code")
