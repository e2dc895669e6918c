"""partner sites: an organizer's registered embedding sites, and the order's partner

Revision ID: 5a17e0b1c2d3
Revises: b1e2d3c4f5a6
Create Date: 2026-12-07 03:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a17e0b1c2d3"
down_revision: str | Sequence[str] | None = "b1e2d3c4f5a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "partner_site",
        sa.Column("organizer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "origin ~ '^https?://[a-z0-9.:\\[\\]-]+$'", name=op.f("ck_partner_site_origin_format")
        ),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["organizer.id"],
            name=op.f("fk_partner_site_organizer_id_organizer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_site")),
        sa.UniqueConstraint(
            "organizer_id", "origin", name=op.f("uq_partner_site_organizer_id_origin")
        ),
    )
    op.create_index(
        op.f("ix_partner_site_organizer_id"), "partner_site", ["organizer_id"], unique=False
    )
    op.add_column("order", sa.Column("partner_site_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_order_partner_site_id"), "order", ["partner_site_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_order_partner_site_id_partner_site"),
        "order",
        "partner_site",
        ["partner_site_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint(op.f("fk_order_partner_site_id_partner_site"), "order", type_="foreignkey")
    op.drop_index(op.f("ix_order_partner_site_id"), table_name="order")
    op.drop_column("order", "partner_site_id")
    op.drop_index(op.f("ix_partner_site_organizer_id"), table_name="partner_site")
    op.drop_table("partner_site")
