"""Named dependencies handlers ask for: `db: DB`, `settings: AppSettings`."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from api.payments.gateway import StripeGateway
from api.settings import Settings

DB: TypeAlias = NamedDependency[AsyncSession]
# Settings are built and checked once by the app factory: no per-request conversion.
AppSettings: TypeAlias = NamedDependency[SkipValidation[Settings]]

# The app's one Stripe gateway (one connection pool), or None when Stripe is not configured.
Gateway: TypeAlias = NamedDependency[SkipValidation[StripeGateway | None]]
