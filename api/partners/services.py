"""Partner sites: registered, listed, removed (owners and managers), the one an embed names,
and what each sold of an event (the event's report page)."""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.checkout.services import clean_source_site
from api.db import Event, Order, OrderLine, OrderStatus, PartnerSite
from api.errors import Invalid

_LOOPBACK_NAMES = {"localhost"}


def parse_origin(raw: str) -> str:
    """`https://www.alohacalendar.example/events` -> `https://www.alohacalendar.example`: the
    origin browsers compare `frame-ancestors` with. https only, except on this machine
    (http://localhost, http://127.0.0.1: a partner page tried out locally)."""
    text = raw.strip()
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise Invalid("That is not a web address: write it as https://partner.example.") from exc
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise Invalid("That is not a web address: write it as https://partner.example.")
    if parts.scheme == "http" and not _loopback(host):
        raise Invalid("A partner site must be served over https:// (browsers embed it so).")
    if any(ch not in "abcdefghijklmnopqrstuvwxyz0123456789.-:" for ch in host):
        raise Invalid("Write the partner's address with its domain name (punycode for others).")
    shown = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{shown}" + (f":{port}" if port and port != default else "")


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_name(raw: str) -> str:
    """The name buyers read in "Purchased on {name}": the same characters an order's
    `source_site` may hold (api/checkout/services.py), so it reaches the email unchanged."""
    name = clean_source_site(raw)
    if name is None:
        raise Invalid("Name: up to 100 letters, digits, spaces, dots, dashes or underscores.")
    return name


async def partners_of(db: AsyncSession, *, organizer_id: uuid.UUID) -> list[PartnerSite]:
    """The organizer's registered (active) partner sites, by name."""
    rows = await db.scalars(
        select(PartnerSite)
        .where(PartnerSite.organizer_id == organizer_id, PartnerSite.active)
        .order_by(PartnerSite.name, PartnerSite.origin)
    )
    return list(rows)


async def add_partner(
    db: AsyncSession, *, organizer_id: uuid.UUID, name: str, origin: str, actor: str
) -> PartnerSite:
    """Register a site; one that was removed comes back (its past orders keep their link)."""
    clean, where = clean_name(name), parse_origin(origin)
    partner = await db.scalar(
        select(PartnerSite)
        .where(PartnerSite.organizer_id == organizer_id, PartnerSite.origin == where)
        .with_for_update()
    )
    if partner is not None and partner.active:
        raise Invalid(f"{where} is registered already, as {partner.name}.")
    if partner is None:
        partner = PartnerSite(organizer_id=organizer_id, name=clean, origin=where)
        db.add(partner)
    else:
        partner.name, partner.active = clean, True
    await db.flush()
    audit.record(
        db, organizer_id=organizer_id, actor=actor, action="partner.added", target=where,
        details={"name": clean},
    )  # fmt: skip
    await db.commit()
    return partner


async def remove_partner(
    db: AsyncSession, *, organizer_id: uuid.UUID, partner_id: uuid.UUID, actor: str
) -> None:
    """The site's embed stops at once (its origin leaves `frame-ancestors`, its form tokens are
    refused); its orders keep naming it."""
    partner = await db.get(PartnerSite, partner_id, with_for_update=True)
    if partner is None or partner.organizer_id != organizer_id or not partner.active:
        raise Invalid("That partner site is not registered (removed already?).")
    partner.active = False
    audit.record(
        db, organizer_id=organizer_id, actor=actor, action="partner.removed",
        target=partner.origin, details={"name": partner.name},
    )  # fmt: skip
    await db.commit()


async def embedding_partner(
    db: AsyncSession, *, event: Event, partner_id: uuid.UUID
) -> PartnerSite | None:
    """The active partner site of the event's organizer that an embed names, or None."""
    partner = await db.get(PartnerSite, partner_id)
    if partner is None or not partner.active or partner.organizer_id != event.organizer_id:
        return None
    return partner


@dataclass(frozen=True)
class PartnerSales:
    name: str
    """The partner's name; "Direct" for sales on this site's own pages."""
    origin: str | None
    orders: int
    tickets: int
    gross_minor: int
    """What the orders took, less what was refunded of them."""


async def sales_by_partner(db: AsyncSession, *, event_id: uuid.UUID) -> list[PartnerSales]:
    """Sold orders of the event per partner site (most tickets first), then direct sales."""
    tickets = (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    rows = (
        await db.execute(
            select(
                PartnerSite.name,
                PartnerSite.origin,
                func.count(Order.id),
                func.coalesce(func.sum(tickets), 0),
                func.coalesce(func.sum(Order.total_minor - Order.refunded_minor), 0),
            )
            .select_from(Order)
            .outerjoin(PartnerSite, PartnerSite.id == Order.partner_site_id)
            .where(
                Order.event_id == event_id,
                Order.status.in_(OrderStatus.sold()),
                Order.source.in_(("sale", "waiting")),  # sold, not comps or transfers
            )
            .group_by(PartnerSite.id, PartnerSite.name, PartnerSite.origin)
        )
    ).all()
    found = [
        PartnerSales(name or "Direct", origin, int(n), int(t), int(gross))
        for name, origin, n, t, gross in rows
    ]
    return sorted(found, key=lambda row: (row.origin is None, -row.tickets, row.name))
