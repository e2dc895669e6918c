"""scanner app version: scanner_device.app_version, what each door phone runs

Each phone names the version of the scanner it runs (the service worker's shell version) on
every sync call; the dashboard's device list shows it beside the last sync and pending scans,
so an organizer sees a phone stuck on an old version (issue 16 section 4).

Revision ID: a3c7e1d9b582
Revises: f2a6b9d0c3e4
Create Date: 2026-12-05 15:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3c7e1d9b582"
down_revision: str | Sequence[str] | None = "f2a6b9d0c3e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("scanner_device", sa.Column("app_version", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("scanner_device", "app_version")
