"""Guest-list files as organizers really save them (issue 17, comps): a spreadsheet's BOM and
CRLF lines, columns in any order and case; and files that cannot be read are refused whole, with
a message saying what to fix, never half imported."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkout import comps
from api.db import Order, TicketTier
from api.errors import Invalid
from api.settings import Settings
from tests import factories


async def _import(db: AsyncSession, settings: Settings, raw: bytes) -> comps.ImportReport:
    event = await factories.event(db)
    await factories.tier(db, event=event, name="Guest", price_minor=0, capacity=3)
    await db.commit()
    return await comps.import_guests(
        db, event=event, raw=raw, send_email=False, actor="owner@venue.example",
        secret_key=settings.secret_key,
    )  # fmt: skip


async def test_a_spreadsheets_bom_crlf_and_column_order_are_read(
    db: AsyncSession, settings: Settings
) -> None:
    raw = "\ufeffQuantity,NAME\r\n2,Ana Lima\r\n,Bo\r\n\r\n".encode()
    report = await _import(db, settings, raw)
    assert (report.issued, report.errors) == (2, 0)
    rows = (await db.execute(select(Order.buyer_name, Order.source, Order.buyer_email))).all()
    assert sorted(rows) == [("Ana Lima", "comp", ""), ("Bo", "comp", "")]
    assert await db.scalar(select(TicketTier.sold)) == 3


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "The file is empty."),
        (b"email,tier\nana@example.com,Guest\n", "must name the columns"),
        (b"name,seat\nAna,12\n", "Unknown columns ['seat']"),
        (b"name\n", "no guests"),
        ("name\nJos\xe9\n".encode("latin-1"), "not UTF-8"),
        (b'name\n"Ana\n', "not readable CSV"),
    ],
)
async def test_a_file_that_cannot_be_read_is_refused_whole(
    db: AsyncSession, settings: Settings, raw: bytes, says: str
) -> None:
    with pytest.raises(Invalid, match=re.escape(says)):
        await _import(db, settings, raw)
    assert await db.scalar(select(Order.id)) is None


async def test_more_guests_than_seats_issue_nothing(db: AsyncSession, settings: Settings) -> None:
    report = await _import(db, settings, b"name,quantity\nAna,2\nBo,2\n")
    assert (report.issued, report.errors) == (0, 2)
    assert "3 seats left; this file asks for 4" in report.rows[0].errors[0]
    assert await db.scalar(select(Order.id)) is None
