"""audit entries name their organizer: refunds and resends written without one get it

Refund requests and ticket resends were audited with no organizer, so the owner's audit page
never showed them and export.zip found them by joining their target (the order's id) to the
order's event. They are written with the organizer now (api/audit.py); this revision gives the
old ones theirs the same way, once, so every reader filters by `organizer_id` alone. Orders
exports written without an organizer name no order and stay the operator's.

The downgrade leaves the organizer in place: an entry that names it is still true.

Revision ID: a71d3e0c5b28
Revises: 9d3b6f1a7c42
Create Date: 2026-12-04 09:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "a71d3e0c5b28"
down_revision: str | Sequence[str] | None = "9d3b6f1a7c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE audit_entry AS a SET organizer_id = e.organizer_id
        FROM "order" AS o JOIN event AS e ON e.id = o.event_id
        WHERE a.organizer_id IS NULL
          AND a.action IN ('refund.requested', 'tickets.resent')
          AND a.target = o.id::text
        """
    )


def downgrade() -> None:
    pass
