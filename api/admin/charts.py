"""Bar charts as server-rendered SVG: no script, no chart library, nothing fetched, so a report
reads the same from the dashboard's offline copy as online.

Each chart is an `<svg role="img">` named by its `<title>` and `<desc>` (the desc says what a
sighted reader gets from it: the span, the total, the highest bar); each bar has its own
`<title>` with its exact figure, shown on hover. The figures themselves are in the data table
the page puts under each chart, and in its CSV: the picture is never the only place they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 12, 44
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Part:
    """One stacked segment of every bar: its name (in the legend), figures and colour."""

    name: str
    values: Sequence[int]
    color: str


def _nice_top(value: int) -> int:
    """The axis top: 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * power)
        if top >= value:
            return top
    return power * 10


def _svg_open(chart_id: str, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart" id="{chart_id}"'
        ' preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def column_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    parts: Sequence[Part],
    value_text: Callable[[int], str] = str,
) -> Markup:
    """Vertical bars, one per label, each the stack of `parts` (negative figures count as 0)."""
    totals = [sum(max(p.values[i], 0) for p in parts) for i in range(len(labels))]
    top = _nice_top(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = _svg_open(chart_id, title, description)
    for step in range(5):  # gridlines and the value axis
        value = top * step // 4
        y = TOP + plot_h - plot_h * step / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11"'
            f' fill="#444">{escape(value_text(value))}</text>'
        )
    count = max(len(labels), 1)
    slot = plot_w / count
    bar = max(slot * 0.7, 1.0)
    every = max(1, -(-len(labels) // MAX_X_LABELS))
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar) / 2
        base = float(TOP + plot_h)
        figures = "; ".join(f"{p.name} {value_text(p.values[i])}" for p in parts)
        out.append(f"<g><title>{escape(label)}: {escape(figures)}</title>")
        for part in parts:
            value = max(part.values[i], 0)
            if not value:
                continue
            height = plot_h * value / top
            base -= height
            out.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{height:.1f}"'
                f' fill="{part.color}"/>'
            )
        out.append("</g>")
        if i % every == 0:
            cx = LEFT + slot * i + slot / 2
            out.append(
                f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle"'
                f' font-size="11" fill="#444">{escape(label)}</text>'
            )
    out.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"'
        ' stroke="#888"/></svg>'
    )
    return Markup("".join(out))  # noqa: S704  (every text in it is escaped above)


def bar_chart(
    *, chart_id: str, title: str, description: str, rows: Sequence[tuple[str, int]], color: str
) -> Markup:
    """Horizontal bars, one per named row (doors), longest first as given."""
    row_h = 28
    height = TOP + row_h * max(len(rows), 1) + 8
    top = _nice_top(max((n for _, n in rows), default=0))
    label_w = 140
    plot_w = WIDTH - label_w - RIGHT - 48
    out = _svg_open(chart_id, title, description)
    out[0] = out[0].replace(f"0 0 {WIDTH} {HEIGHT}", f"0 0 {WIDTH} {height}")
    for i, (name, value) in enumerate(rows):
        y = TOP + row_h * i
        length = plot_w * max(value, 0) / top
        out.append(
            f"<g><title>{escape(name)}: {value}</title>"
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" font-size="12"'
            f' fill="#222">{escape(name[:24])}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row_h - 8}"'
            f' fill="{color}"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 18}" font-size="12"'
            f' fill="#222">{value}</text></g>'
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704  (every text in it is escaped above)
