"""passkeys for staff, their ceremonies' challenges, organizers that require them; and what the
Security page shows of each session (browser, address, last seen)

Revision ID: f1a2c3e4d5b6
Revises: 5a17e0b1c2d3
Create Date: 2026-12-03 03:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f1a2c3e4d5b6"
down_revision: str | Sequence[str] | None = "5a17e0b1c2d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "passkey",
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(length=1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column(
            "transports",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkey")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkey_credential_id")),
    )
    op.create_index(op.f("ix_passkey_subject"), "passkey", ["subject"], unique=False)
    op.create_table(
        "passkey_challenge",
        sa.Column("challenge_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("challenge_hash", name=op.f("pk_passkey_challenge")),
    )
    op.create_table(
        "passkey_requirement",
        sa.Column("organizer_id", sa.Uuid(), nullable=False),
        sa.Column("set_by", sa.String(length=320), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["organizer.id"],
            name=op.f("fk_passkey_requirement_organizer_id_organizer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organizer_id", name=op.f("pk_passkey_requirement")),
    )
    op.add_column(
        "web_session",
        sa.Column("user_agent", sa.String(length=300), server_default="", nullable=False),
    )
    op.add_column(
        "web_session", sa.Column("ip", sa.String(length=64), server_default="", nullable=False)
    )
    op.add_column(
        "web_session", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("web_session", "last_seen_at")
    op.drop_column("web_session", "ip")
    op.drop_column("web_session", "user_agent")
    op.drop_table("passkey_requirement")
    op.drop_table("passkey_challenge")
    op.drop_index(op.f("ix_passkey_subject"), table_name="passkey")
    op.drop_table("passkey")
