"""Horizontal bar charts as inline SVG, rendered on the server (no JavaScript library).

Only SVG presentation attributes are used (``fill``, ``width`` …), never ``style``:
the Content-Security-Policy forbids inline styles. Every chart is paired with a
table of the same numbers in the template, for screen readers and for printing.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

BAR = 22
GAP = 8
LABEL_WIDTH = 120
BAR_WIDTH = 200
VALUE_WIDTH = 80
COLOURS = {"5": "#166534", "4": "#4d7c0f", "3": "#a16207", "2": "#c2410c", "1": "#b91c1c"}
DEFAULT_COLOUR = "#1d4ed8"


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: float  # 0–1
    key: str = ""


def bars(choices, counts: dict, denominator: int, scale: bool = False) -> list[Bar]:
    """One bar per choice in questionnaire order, share of ``denominator`` responses.

    :param scale: colour the bars by satisfaction level (rating and matrix questions).
    """
    return [Bar(c.label(), int(counts.get(c.value, 0)),
                (counts.get(c.value, 0) / denominator) if denominator else 0.0, c.value if scale else "")
            for c in choices]


def bar_chart(items: list[Bar], title: str = "") -> Markup:
    """An accessible SVG bar chart: label · bar · "count (share%)"."""
    height = len(items) * (BAR + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [f'<svg class="survey-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for n, item in enumerate(items):
        y = GAP + n * (BAR + GAP)
        length = round(BAR_WIDTH * max(0.0, min(1.0, item.share)), 1)
        colour = COLOURS.get(item.key, DEFAULT_COLOUR)
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR * 0.72:.1f}" text-anchor="end" '
                     f'font-size="13" fill="#1f2933">{escape(_short(item.label))}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{BAR_WIDTH}" height="{BAR}" fill="#eef1f5"/>')
        if length:
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR}" fill="{colour}"/>')
        parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + BAR * 0.72:.1f}" font-size="13" '
                     f'fill="#1f2933">{item.count}（{item.share * 100:.1f}%）</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(text: str, limit: int = 9) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
