"""event currency and the connected account's currencies: event.currency, organizer.stripe_currencies

An event sells in one currency (issue 17, "Multi-currency"); its tiers keep their own copy, which
the dashboard keeps equal to the event's. Existing events take their first tier's currency (every
tier sold in PLATFORM_CURRENCY until now), USD when they have none.

Revision ID: e3c0f17a2b58
Revises: a77e4d1e5c0b
Create Date: 2026-12-06 00:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e3c0f17a2b58"
down_revision: str | Sequence[str] | None = "a77e4d1e5c0b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "event", sa.Column("currency", sa.String(length=3), server_default="USD", nullable=False)
    )
    op.create_check_constraint(op.f("ck_event_currency_iso"), "event", "currency ~ '^[A-Z]{3}$'")
    op.execute(
        "UPDATE event SET currency = first.currency FROM ("
        " SELECT DISTINCT ON (event_id) event_id, currency FROM ticket_tier"
        " ORDER BY event_id, position, created_at) AS first"
        " WHERE first.event_id = event.id"
    )
    op.add_column(
        "organizer",
        sa.Column(
            "stripe_currencies",
            postgresql.ARRAY(sa.String(length=3)),
            server_default="{}",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("organizer", "stripe_currencies")
    op.drop_constraint(op.f("ck_event_currency_iso"), "event", type_="check")
    op.drop_column("event", "currency")
