"""Cursor pagination: each list is in id order, and a page ends with a cursor naming its last row.

Ids are UUIDv7, minted when a row is written, so id order is the order rows arrived in: the next
page is "ids after this one". A row written while a client pages through lands after every row
it has seen (it is on a later page, never a duplicate or a gap), which an offset could not
promise. The cursor is opaque to clients (base64url of the id's 16 bytes); one this API did not
give out is a 400.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Protocol, TypeVar, TypeVarTuple

from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_LIMIT = 200
CURSOR_PATTERN = "^[A-Za-z0-9_-]{22}$"
"""base64url of 16 bytes, unpadded."""
Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT}).")
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        pattern=CURSOR_PATTERN,
        description="The `next` of the previous page; leave out for the first page.",
    ),
]


class _HasId(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


Row = TypeVar("Row")
Entity = TypeVar("Entity", bound=_HasId)
Ts = TypeVarTuple("Ts")


def encode(row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(row_id.bytes).decode().rstrip("=")


def decode(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValidationException(detail="This cursor is not one this API gave out.") from exc
    if len(raw) != 16:
        raise ValidationException(detail="This cursor is not one this API gave out.")
    return uuid.UUID(bytes=raw)


def page_query(
    query: Select[*Ts], id_column: Any, *, cursor: str | None, limit: int
) -> Select[*Ts]:
    """`query` from after the cursor, in id order, one row more than a page (to know of a next)."""
    if cursor:
        query = query.where(id_column > decode(cursor))
    return query.order_by(id_column).limit(limit + 1)


def split(rows: Sequence[Row], *, limit: int, id_of: Any) -> tuple[list[Row], str | None]:
    """A page of `rows` (fetched by `page_query`) and the cursor of the next, if any."""
    shown = list(rows[:limit])
    return shown, (encode(id_of(shown[-1])) if len(rows) > limit and shown else None)


async def page(
    db: AsyncSession, query: Select[Entity], id_column: Any, *, cursor: str | None, limit: int
) -> tuple[list[Entity], str | None]:
    """A page of `query`'s rows (one model each) and the cursor of the next, if any."""
    rows = list(await db.scalars(page_query(query, id_column, cursor=cursor, limit=limit)))
    return split(rows, limit=limit, id_of=lambda row: row.id)
