"""attendee details: event.attendee_names, attendee_question, attendee

Per event, the attendee's name per ticket (off, optional, required) and custom questions (text,
choice, checkbox; per tier; required or not; ordered), answered before payment and kept per
ticket, tied to the pass once issued (issue 17, attendee details).

Revision ID: a77e4d1e5c0b
Revises: 7a1e5b0c9d44
Create Date: 2026-12-06 00:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a77e4d1e5c0b"
down_revision: str | Sequence[str] | None = "7a1e5b0c9d44"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "event",
        sa.Column("attendee_names", sa.String(length=10), server_default="off", nullable=False),
    )
    op.create_check_constraint(
        "ck_event_attendee_names_known", "event", "attendee_names IN ('off','optional','required')"
    )
    op.create_table(
        "attendee_question",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column(
            "options", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("tier_ids", postgresql.ARRAY(sa.Uuid()), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("kind IN ('text','choice','checkbox')",
                           name=op.f("ck_attendee_question_kind_known")),
        sa.CheckConstraint("length(label) BETWEEN 1 AND 200",
                           name=op.f("ck_attendee_question_label_length")),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE",
                                name=op.f("fk_attendee_question_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendee_question")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_attendee_question_event_id"), "attendee_question", ["event_id"], unique=False
    )
    op.create_table(
        "attendee",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("tier_id", sa.Uuid(), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("pass_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column(
            "answers", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("seat >= 1", name=op.f("ck_attendee_seat_positive")),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], ondelete="CASCADE",
                                name=op.f("fk_attendee_order_id_order")),
        sa.ForeignKeyConstraint(["pass_id"], ["pass.id"], ondelete="SET NULL",
                                name=op.f("fk_attendee_pass_id_pass")),
        sa.ForeignKeyConstraint(["tier_id"], ["ticket_tier.id"],
                                name=op.f("fk_attendee_tier_id_ticket_tier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendee")),
        sa.UniqueConstraint("order_id", "tier_id", "seat",
                            name=op.f("uq_attendee_order_id_tier_id_seat")),
        sa.UniqueConstraint("pass_id", name=op.f("uq_attendee_pass_id")),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("attendee")
    op.drop_index(op.f("ix_attendee_question_event_id"), table_name="attendee_question")
    op.drop_table("attendee_question")
    op.drop_constraint("ck_event_attendee_names_known", "event", type_="check")
    op.drop_column("event", "attendee_names")
