"""organizer API keys: hashed bearer keys with scopes, per organizer (api/organizer_api/)

Revision ID: c3a9e1f0b2d4
Revises: f1a2c3e4d5b6
Create Date: 2026-12-08 03:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c3a9e1f0b2d4"
down_revision: str | Sequence[str] | None = "f1a2c3e4d5b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "api_key",
        sa.Column("organizer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=10)), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "scopes <@ ARRAY['read','orders','check-in']::varchar[] AND cardinality(scopes) > 0",
            name=op.f("ck_api_key_scopes_known"),
        ),
        sa.ForeignKeyConstraint(
            ["organizer_id"], ["organizer.id"],
            name=op.f("fk_api_key_organizer_id_organizer"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_key_token_hash")),
    )  # fmt: skip
    op.create_index(op.f("ix_api_key_organizer_id"), "api_key", ["organizer_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_api_key_organizer_id"), table_name="api_key")
    op.drop_table("api_key")
