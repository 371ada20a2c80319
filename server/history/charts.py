"""Charts drawn on the server as SVG: no chart library to ship, nothing from the internet.

Bar charts only — what leaders read at a glance: arrivals by hour, waiting time by field,
satisfaction by officer.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

WIDTH = 760
BAR_AREA = 220
FONT = "'Be Vietnam Pro', 'DejaVu Sans', sans-serif"


def bar_chart(title: str, labels: list[str], values: list[float | None], *, unit: str = "",
              target: float | None = None, horizontal: bool = False, color: str = "#0d47a1") -> str:
    """An SVG bar chart; missing values are drawn as empty slots."""
    if horizontal:
        return _horizontal(title, labels, values, unit, color)
    top = max([v for v in values if v is not None] + [target or 0, 1])
    n = max(1, len(values))
    slot = (WIDTH - 60) / n
    height = BAR_AREA + 90
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(title)}" font-family="{FONT}">',
             f'<text x="10" y="22" font-size="17" font-weight="700">{escape(title)}</text>',
             f'<line x1="50" y1="{40 + BAR_AREA}" x2="{WIDTH - 10}" y2="{40 + BAR_AREA}" stroke="#56627a"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = 50 + i * slot + slot * 0.15
        w = slot * 0.7
        if value is not None:
            h = BAR_AREA * value / top
            parts.append(f'<rect x="{x:.1f}" y="{40 + BAR_AREA - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
                         f'fill="{color}"><title>{escape(label)}: {_fmt(value)}{unit}</title></rect>')
            if n <= 24:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{36 + BAR_AREA - h:.1f}" font-size="11" '
                             f'text-anchor="middle">{_fmt(value)}</text>')
        parts.append(f'<text x="{x + w / 2:.1f}" y="{58 + BAR_AREA}" font-size="11" text-anchor="middle">'
                     f'{escape(label)}</text>')
    if target is not None:
        y = 40 + BAR_AREA - BAR_AREA * target / top
        parts.append(f'<line x1="50" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" stroke="#b71c1c" '
                     f'stroke-dasharray="6 4"/>')
    parts.append("</svg>")
    return "".join(parts)


def _horizontal(title, labels, values, unit, color) -> str:
    row = 26
    height = 50 + row * max(1, len(labels))
    top = max([v for v in values if v is not None] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(title)}" font-family="{FONT}">',
             f'<text x="10" y="22" font-size="17" font-weight="700">{escape(title)}</text>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 40 + i * row
        parts.append(f'<text x="240" y="{y + 16}" font-size="13" text-anchor="end">{escape(label)}</text>')
        if value is not None:
            w = (WIDTH - 320) * value / top
            parts.append(f'<rect x="250" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{color}">'
                         f'<title>{escape(label)}: {_fmt(value)}{unit}</title></rect>')
            parts.append(f'<text x="{256 + w:.1f}" y="{y + 16}" font-size="12">{_fmt(value)}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
