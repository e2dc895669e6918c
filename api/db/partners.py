"""Partner sites that sell an organizer's tickets (issue 18, the product's `source_site`).

A partner site is another website (a city calendar, a festival's own page) that shows an
event's tickets in an iframe (api/partners/). It is registered by the organizer with its origin,
which becomes the embed page's only allowed `frame-ancestors`; an order bought through the embed
carries the partner (`Order.partner_site_id`, and its name in `Order.source_site`, which the
confirmation email shows as "Purchased on {site}"). Removing a partner keeps its orders' name:
the row is deactivated, not deleted, once it has sold.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, CreatedAt, UUIDPrimaryKey


class PartnerSite(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "partner_site"
    __table_args__ = (
        # An origin as browsers send it: scheme, host, optional port; no path, no slash.
        CheckConstraint("origin ~ '^https?://[a-z0-9.:\\[\\]-]+$'", name="origin_format"),
        UniqueConstraint("organizer_id", "origin"),
    )

    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    """Shown to buyers ("Purchased on Aloha Calendar") and on the dashboard's reports."""
    origin: Mapped[str] = mapped_column(String(255))
    """`https://alohacalendar.example`: the only page origin allowed to frame the embed."""
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """False once removed: its embed stops working; its past orders still name it."""
