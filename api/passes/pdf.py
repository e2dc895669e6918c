"""An order's passes as a PDF to print: one pass per page.

Each page has the event, its date and time in the event's zone, the venue, the tier, the holder
(the attendee's name, else the buyer's), the pass code, the order reference and the QR, drawn
from the same token the passes page shows (api/passes/qr.py, so a printed code scans as the
phone's does). A void pass keeps its page, marked VOID with the buyer's wording and no QR: the
numbering still matches the email, and nothing printed admits anyone it should not.

Text is set in DejaVu Sans when the host has it (Debian's `fonts-dejavu-core`, installed in the
Docker image), which covers the names people give events and tickets; without it, the PDF's
built-in Helvetica, with characters outside Latin-1 shown as "?".
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

from api.db import Event, Order
from api.formatting import when
from api.i18n import gettext as _
from api.passes.qr import qr_png
from api.passes.services import ShownPass

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
_PAGE_WIDTH_MM = 210.0  # A4 portrait
_MARGIN_MM = 18.0
_QR_MM = 110.0


def _font_files() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class _Document:
    """An FPDF with the font chosen once and text made safe for it."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_auto_page_break(auto=False)
        self.pdf.set_margins(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
        self.pdf.set_title(title)
        self.pdf.set_creator("POCtix")
        files = _font_files()
        if files is not None:
            self.pdf.add_font("body", "", str(files[0]))
            self.pdf.add_font("body", "B", str(files[1]))
            self.family, self.unicode = "body", True
        else:
            self.family, self.unicode = "helvetica", False

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def line(self, value: str, *, size: float, bold: bool = False, gray: int = 0) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(gray)
        self.pdf.multi_cell(
            0, size * 0.5, self.text(value), new_x="LMARGIN", new_y="NEXT", align="C"
        )


def passes_pdf(
    *, event: Event, organizer_name: str, order: Order, passes: Sequence[ShownPass]
) -> bytes:
    """One A4 page per pass of `order`, in the order the passes page lists them."""
    document = _Document(_("Tickets · %(event)s") % {"event": event.name})
    pdf = document.pdf
    starts = when(event.starts_at, event.timezone)
    for item in passes:
        pdf.add_page()
        document.line(organizer_name, size=11, gray=90)
        pdf.ln(2)
        document.line(event.name, size=22, bold=True)
        pdf.ln(2)
        document.line(starts, size=13, bold=True)
        if event.venue:
            document.line(event.venue, size=12)
        pdf.ln(6)
        shown = _("pass %(number)s of %(count)s") % {"number": item.number, "count": len(passes)}
        document.line(f"{item.tier} · {shown}", size=15, bold=True)
        holder = item.holder or order.buyer_name or order.buyer_email
        document.line(holder, size=13)
        pdf.ln(4)
        if item.valid and item.token:
            png = qr_png(item.token, box_size=10)
            left = (_PAGE_WIDTH_MM - _QR_MM) / 2
            pdf.image(io.BytesIO(png), x=left, y=pdf.get_y(), w=_QR_MM, h=_QR_MM)
            pdf.set_y(pdf.get_y() + _QR_MM + 4)
        else:
            pdf.ln(20)
            document.line(_("VOID"), size=60, bold=True, gray=0)
            pdf.ln(4)
            wording = item.wording.buyer if item.wording else _("This pass is void")
            document.line(_("%(void)s. Do not use.") % {"void": wording}, size=14, bold=True)
            pdf.ln(20)
        document.line(item.pass_id, size=10, gray=60)
        document.line(
            _("Order reference %(reference)s") % {"reference": order.reference}, size=10, gray=60
        )
        pdf.ln(4)
        document.line(
            _(
                "Show this page (or the code on your phone) at the door. Keep it private: anyone"
                " holding this code can use it."
            ),
            size=9,
            gray=90,
        )
    return bytes(pdf.output())
