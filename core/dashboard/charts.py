"""Charts as inline SVG drawn on the server: no JavaScript, no CDN, no library.

Pure functions returning :class:`markupsafe.Markup`; every text is escaped. Colours
are SVG presentation attributes (allowed by the strict Content-Security-Policy,
which forbids inline ``style``). Each chart carries a ``<title>`` and a ``<desc>``
for screen readers, and the pages show the same numbers as a table.
"""
from __future__ import annotations

import itertools
import math
from decimal import Decimal
from typing import Sequence

from markupsafe import Markup, escape

_ids = itertools.count(1)

COLOURS = {"red": "#c62828", "yellow": "#f59e0b", "green": "#15803d", "blue": "#1d4ed8", "grey": "#9ca3af",
           "primary": "#1d4ed8", "muted": "#9ca3af", "accent": "#b4232a"}


def _num(value) -> float:
    return float(value) if value is not None else 0.0


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, (int,)) or (isinstance(value, (float, Decimal)) and float(value).is_integer()):
        return str(int(value))
    return f"{float(value):.1f}"


def _scale(peak: float, integer: bool, minimum: float = 0.0) -> tuple[float, float]:
    """``(top, step)`` of the value axis: steps of 1, 2, 2.5 or 5 × 10ⁿ, at most five of them,
    whole numbers for counts (no "0.8 projects")."""
    peak = max(peak, minimum)
    if peak <= 0:
        return 1.0, 1.0
    step = 10.0 ** (math.floor(math.log10(peak)) - 1)
    while True:
        for factor in (1, 2, 2.5, 5):
            candidate = step * factor
            if integer and (candidate < 1 or not float(candidate).is_integer()):
                continue
            if peak / candidate <= 5:
                return math.ceil(peak / candidate - 1e-9) * candidate, candidate
        step *= 10


def _frame(title: str, desc: str, width: int, height: int, body: list[str]) -> Markup:
    uid = f"chart{next(_ids)}"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d"><title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">{escape(desc)}</desc>' + "".join(body) + "</svg>")


def bar_chart(bars: Sequence[tuple[str, float | int | None, str]], title: str, unit: str = "",
              width: int = 560, height: int = 260) -> Markup:
    """Vertical bars: ``(label, value, colour)`` with the colour a name in COLOURS or ``#rrggbb``."""
    left, right, top, bottom = 44, 12, 16, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    integer = all(isinstance(v, int) or v is None for _l, v, _c in bars)
    top_value, step = _scale(max((_num(v) for _l, v, _c in bars), default=0), integer)
    intervals = round(top_value / step)
    body = []
    for i in range(intervals + 1):  # grid lines and the axis labels
        value = step * i
        y = top + plot_h - plot_h * i / intervals
        body.append(f'<line class="gridline" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_fmt(value))}</text>')
    body.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>')
    slot = plot_w / max(len(bars), 1)
    bar_w = min(56.0, slot * 0.6)
    for index, (text, value, colour) in enumerate(bars):
        x = left + slot * index + (slot - bar_w) / 2
        h = plot_h * _num(value) / top_value
        y = top + plot_h - h
        fill = COLOURS.get(colour, colour)
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{escape(fill)}">'
                    f'<title>{escape(text)}：{escape(_fmt(value))}{escape(unit)}</title></rect>')
        body.append(f'<text class="value" x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                    f'{escape(_fmt(value))}</text>')
        body.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{escape(text)}</text>')
    desc = "；".join(f"{t} {_fmt(v)}{unit}" for t, v, _c in bars)
    return _frame(title, desc, width, height, body)


def line_chart(x_labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]], title: str,
               y_max: float = 100.0, unit: str = "%", width: int = 560, height: int = 260) -> Markup:
    """Lines over ``x_labels``: ``(name, colour, values)``; ``None`` values are gaps.

    A series with a single known point in a stretch is drawn as a dot, so sparse
    series (monitoring rounds) still show.
    """
    left, right, top, bottom = 44, 12, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((_num(v) for _n, _c, vs in series for v in vs if v is not None), default=0)
    top_value, step = (y_max, y_max / 4) if peak <= y_max else _scale(peak, False)
    intervals = round(top_value / step)
    body = []
    for i in range(intervals + 1):
        value = step * i
        y = top + plot_h - plot_h * i / intervals
        body.append(f'<line class="gridline" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_fmt(value))}{escape(unit)}</text>')
    step = plot_w / max(len(x_labels) - 1, 1)
    for index, text in enumerate(x_labels):
        body.append(f'<text x="{left + step * index:.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                    f'{escape(text)}</text>')
    body.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>')
    for name, colour, values in series:
        fill = escape(COLOURS.get(colour, colour))
        points = [(left + step * i, top + plot_h - plot_h * _num(v) / top_value, v)
                  for i, v in enumerate(values) if v is not None]
        known = [i for i, v in enumerate(values) if v is not None]
        # Consecutive known points are joined; every known point gets a dot.
        runs, run = [], []
        for (x, y, _v), i in zip(points, known):
            if run and i != run[-1][2] + 1:
                runs.append(run)
                run = []
            run.append((x, y, i))
        if run:
            runs.append(run)
        for part in runs:
            if len(part) > 1:
                coords = " ".join(f"{x:.1f},{y:.1f}" for x, y, _i in part)
                body.append(f'<polyline points="{coords}" fill="none" stroke="{fill}" stroke-width="2.5"/>')
        for x, y, v in points:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}"><title>{escape(name)}：'
                        f'{escape(_fmt(v))}{escape(unit)}</title></circle>')
    desc = "；".join(f"{name}: " + "，".join(f"{x} {_fmt(v)}{unit}" for x, v in zip(x_labels, values) if v is not None)
                    for name, _c, values in series)
    return _frame(title, desc, width, height, body)
