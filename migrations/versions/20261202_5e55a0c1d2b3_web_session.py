"""web session: signed-in browsers kept server-side, so signing out ends a session at once

The session cookie carries a random session id; this table holds its SHA-256 and who it signs
in. Signing out, or an owner removing a member, deletes the rows: a copied cookie then signs in
no one (before, the sealed cookie alone was trusted for 14 days).

Revision ID: 5e55a0c1d2b3
Revises: b7d41c2e9f10
Create Date: 2026-12-02 16:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e55a0c1d2b3"
down_revision: str | Sequence[str] | None = "b7d41c2e9f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_session")),
    )
    op.create_index(op.f("ix_web_session_subject"), "web_session", ["subject"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_session_subject"), table_name="web_session")
    op.drop_table("web_session")
