"""Refund records: one `Refund` row per Stripe refund, whoever started it.

Two writers meet here: our own refund call (which knows who clicked and why) and Stripe's
webhooks (which know the amount and how the refund ended, and are the only news of a refund
started in the Stripe dashboard). Both write with `INSERT … ON CONFLICT (stripe_refund_id) DO
UPDATE`, so the row ends the same whatever order they arrive in and however often:

- the status only moves forward (pending → succeeded → failed/canceled), so a late
  `refund.created` cannot undo a `refund.failed`;
- Stripe's amount and currency win; our name for who started it wins over "stripe";
- a reason or pass list, once known, is never blanked by a writer that does not know it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db import Order, Refund
from api.db.base import uuid7

STRIPE = "stripe"
"""`initiated_by` of a refund we only heard of from Stripe (its dashboard, or Stripe itself)."""

_RANK = {"pending": 0, "requires_action": 1, "succeeded": 2, "failed": 3, "canceled": 3}


def _rank(column: Any) -> ColumnElement[int]:
    return case(
        *((column == status, literal(rank)) for status, rank in _RANK.items()), else_=literal(0)
    )


def _keep_known(new: Any, old: Any) -> ColumnElement[str]:
    """The new text unless it is empty (then whatever the row had)."""
    return func.coalesce(func.nullif(new, ""), old)


async def record_refund(
    session: AsyncSession,
    *,
    order_id: uuid.UUID,
    stripe_refund_id: str | None,
    amount_minor: int,
    currency: str,
    status: str,
    reason: str = "",
    pass_ids: Iterable[str] = (),
    initiated_by: str = STRIPE,
    created_at: datetime | None = None,
) -> None:
    """Insert or merge one refund (see the module docstring); the caller commits."""
    status = status if status in _RANK else "pending"
    values: dict[str, Any] = {
        "id": uuid7(),
        "order_id": order_id,
        "stripe_refund_id": stripe_refund_id,
        "amount_minor": max(0, amount_minor),
        "currency": currency.upper()[:3],
        "status": status,
        "reason": reason[:2000],
        "pass_ids": ",".join(pass_ids),
        "initiated_by": initiated_by[:320],
    }
    if created_at is not None:
        values["created_at"] = created_at
    statement = insert(Refund).values(**values)
    if stripe_refund_id is None:  # a free order's cancellation: nothing to merge with
        await session.execute(statement)
        return
    new, old = statement.excluded, Refund.__table__.c
    from_stripe = initiated_by == STRIPE
    statement = statement.on_conflict_do_update(
        index_elements=[Refund.stripe_refund_id],
        set_={
            "status": case((_rank(new.status) >= _rank(old.status), new.status), else_=old.status),
            "amount_minor": new.amount_minor if from_stripe else old.amount_minor,
            "currency": new.currency if from_stripe else old.currency,
            "initiated_by": old.initiated_by if from_stripe else new.initiated_by,
            "reason": _keep_known(new.reason, old.reason),
            "pass_ids": _keep_known(new.pass_ids, old.pass_ids),
            "updated_at": func.now(),
        },
    )
    await session.execute(statement)


async def record_from_stripe(
    session: AsyncSession, *, order_id: uuid.UUID, refund: dict[str, Any]
) -> bool:
    """Record a Stripe refund object (from `refund.*` or a charge's `refunds.data`)."""
    refund_id = refund.get("id")
    if not isinstance(refund_id, str) or not refund_id:
        return False
    if await session.scalar(select(Order.id).where(Order.id == order_id)) is None:
        return False  # metadata naming an order we never had: nothing to attach it to
    metadata = refund.get("metadata") or {}
    named = str(metadata.get("passes") or "")
    created = refund.get("created")
    await record_refund(
        session,
        order_id=order_id,
        stripe_refund_id=refund_id,
        amount_minor=int(refund.get("amount") or 0),
        currency=str(refund.get("currency") or "usd"),
        status=str(refund.get("status") or "pending"),
        reason=str(metadata.get("reason") or refund.get("reason") or ""),
        pass_ids=[part.strip() for part in named.split(",") if part.strip()],
        created_at=datetime.fromtimestamp(created, UTC) if isinstance(created, int) else None,
    )
    return True
