"""The printed layout of a goal form, as a grid both the PDF and the XLSX are drawn from.

Pure: no Flask, no database. The paper forms (石家庄 附件一, the Boye tables) are
one bordered table whose rows do not share a column grid: 「预算数 | 10.09 | 其中：财政资金
| 10.09 | 其他资金 | …」 sits above 「一级指标 | 二级指标 | 三级指标 | …」. So the grid
here has :data:`UNITS` narrow columns and every printed cell spans several of
them; the indicator columns get units in proportion to what they usually hold.

Every value cell carries the data path it shows (``fields.budget_total``,
``milestones.m03``, ``indicators.<row id>.target``) so the XLSX import can read a
workbook back into form data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.definitions.model import DEFAULT_COLUMNS
from core.definitions.values import parse_number
from core.i18n import label as _label
from core.webforms.layout import indicator_layout

UNITS = 24
"""Grid columns of the printed table (each printed cell spans several)."""

SIDE_UNITS = 6
"""Units of the left label column (一级指标 + 二级指标 below it)."""

MAX_POINTS_PER_ROW = 6
"""Spending-plan points per printed row; more wrap onto further rows."""

# How wide each indicator column is, relative to the others (unknown ids: 2).
_COLUMN_WEIGHTS = {"name": 2.4, "description": 2.6, "target": 1.7, "basis": 2.0}

SHORT_TYPES = frozenset({"text", "integer", "decimal", "money", "percent", "date", "choice",
                         "multi_choice", "rating", "yes_no"})


@dataclass
class Cell:
    """One printed cell.

    :param text: what is printed (money formatted, choices as labels).
    :param kind: ``title`` (section or row header), ``label`` (a field's name),
        ``head`` (a column header), ``value``.
    :param value: the typed value for a spreadsheet: ``Decimal`` for money and
        percent (a percentage as a fraction), else the text.
    :param fmt: ``money``, ``percent``, ``number`` or ``text``.
    :param path: the data path a value cell shows, for the import.
    :param empty: the value was not filled in (printed blank, or 「未填报」 where asked).
    """

    text: str = ""
    kind: str = "value"
    units: int = 1
    rowspan: int = 1
    value: Any = None
    fmt: str = "text"
    path: str | None = None
    empty: bool = False
    align: str = ""
    column: int = 0  # first grid unit, filled in by Paper.place()

    @property
    def numeric(self) -> bool:
        return self.fmt in ("money", "percent", "number") and not self.empty


@dataclass
class Row:
    cells: list[Cell]
    kind: str = "field"  # field, milestone-labels, milestone-values, ind-head, ind-row, ind-empty
    row_id: str | None = None


@dataclass
class Paper:
    title: str
    subtitle: str
    unit: str
    organization: str
    rows: list[Row]
    signatures: list[tuple[str, str, str]]  # (field id, label, value)
    columns: list[dict]  # the indicator columns in paper order
    units: list[int] = field(default_factory=list)  # units per indicator table column (l1, l2, columns…)
    indicator_head: int | None = None  # index in rows of the indicator header row
    annex: list[tuple[int, str, str]] = field(default_factory=list)  # (number, title, text), see move_to_annex

    def place(self) -> "Paper":
        """Fill in each cell's first grid unit, honouring rowspans from rows above."""
        taken: dict[int, set[int]] = {}
        for r, row in enumerate(self.rows):
            col = 0
            for cell in row.cells:
                while col in taken.get(r, set()):
                    col += 1
                cell.column = col
                for dr in range(1, cell.rowspan):
                    taken.setdefault(r + dr, set()).update(range(col, col + cell.units))
                col += cell.units
        return self


    def move_to_annex(self) -> "Paper":
        """Print the text of cells too tall for the table after it, as numbered annexes
        (附页), leaving 「见附页 n」 in the cell — as a paper form says 「详见附件」.

        For the PDF: ReportLab never cuts a table row, so one cell taller than a page
        (a long 资金用途 the definition allows) could not be printed at all.
        """
        for row in self.rows:
            label = ""
            for cell in row.cells:
                if cell.kind in ("label", "title"):
                    label = cell.text
                    continue
                if cell.kind != "value" or estimated_lines(cell.text, cell.units) <= ANNEX_LINES:
                    continue
                title = label
                if (cell.path or "").startswith("indicators."):
                    column = cell.path.rsplit(".", 1)[1]
                    name = next((c.text for c in row.cells if (c.path or "").endswith(".name")), "")
                    heading = next((_label(c.get("label"), "zh") for c in self.columns if c.get("id") == column), "")
                    title = f"{name} · {heading}" if name else heading
                number = len(self.annex) + 1
                self.annex.append((number, title, cell.text))
                cell.text = f"（见附页 {number}）"
        return self


#: Cells estimated taller than this many lines go to the annex (Paper.move_to_annex);
#: an A4 page holds about 60 lines of 9 pt text.
ANNEX_LINES = 30
#: 9 pt Chinese characters per grid unit (about 180 mm of text width in UNITS units).
CHARS_PER_UNIT = 2


def estimated_lines(text: str, units: int) -> int:
    """How many printed lines ``text`` takes in a cell ``units`` wide (CJK width: Latin
    text is narrower, so this errs towards the annex)."""
    per_line = max(1, units * CHARS_PER_UNIT)
    return sum(max(1, -(-len(line) // per_line)) for line in (text or "").split("\n"))


# ------------------------------------------------------------------ values -------

def money_text(value: Decimal) -> str:
    return f"{value:,.2f}"


def percent_text(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _choice_label(spec: dict, value: str, lang: str) -> str:
    for choice in spec.get("choices") or ():
        if choice.get("value") == value:
            return _label(choice.get("label"), lang)
    if spec.get("type") == "yes_no":
        return {"yes": "是", "no": "否", "true": "是", "false": "否"}.get(str(value).lower(), str(value))
    return str(value)


def value_cell(spec: dict, raw: Any, path: str, lang: str = "zh") -> Cell:
    """A field's value as printed and as a spreadsheet value."""
    kind = spec.get("type", "text")
    if raw in (None, "", []):
        return Cell("", path=path, empty=True,
                    fmt={"money": "money", "percent": "percent"}.get(kind, "text"))
    if isinstance(raw, list):
        text = "、".join(_choice_label(spec, v, lang) for v in raw)
        return Cell(text, value=text, path=path)
    text = str(raw)
    if kind == "money":
        number = parse_number(text)
        if number is not None:
            return Cell(money_text(number), value=number, fmt="money", path=path, align="right")
    elif kind == "percent":
        number = parse_number(text, percent=True)
        if number is not None:
            return Cell(percent_text(number), value=number / 100, fmt="percent", path=path, align="right")
    elif kind in ("integer", "decimal"):
        number = parse_number(text)
        if number is not None:
            return Cell(text, value=number, fmt="number", path=path, align="right")
    elif kind in ("choice", "rating", "yes_no"):
        shown = _choice_label(spec, text, lang)
        return Cell(shown, value=shown, path=path)
    return Cell(text, value=text, path=path)


def milestone_cell(raw: Any, path: str) -> Cell:
    if raw in (None, ""):
        return Cell("", path=path, empty=True, fmt="percent", align="center")
    number = parse_number(str(raw), percent=True)
    if number is None:
        return Cell(str(raw), value=str(raw), path=path, align="center")
    return Cell(percent_text(number), value=number / 100, fmt="percent", path=path, align="center")


# ------------------------------------------------------------------ layout -------

def split_units(total: int, weights: list[float]) -> list[int]:
    """``total`` units shared by ``weights``, each at least 1, by largest remainder."""
    if not weights:
        return []
    if total < len(weights):
        raise ValueError(f"{total} units cannot hold {len(weights)} cells")
    spare = total - len(weights)
    scale = sum(weights) or 1
    exact = [spare * w / scale for w in weights]
    units = [1 + int(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in order[: total - sum(units)]:
        units[i] += 1
    return units


def column_units(columns: list[dict]) -> list[int]:
    """Units of 一级指标, 二级指标 and each indicator column (they add up to UNITS)."""
    side = split_units(SIDE_UNITS, [1.0, 1.0])
    rest = split_units(UNITS - SIDE_UNITS, [_COLUMN_WEIGHTS.get(c["id"], 2.0) for c in columns])
    return side + rest


UNIT_MM = 182 / UNITS  # A4 portrait less 14 mm margins each side


def text_units(text: str, char_mm: float = 3.2, pad_mm: float = 2.2) -> int:
    """Units a one-line label needs at 9 pt (a CJK character ≈ 3.2 mm, Latin half that)."""
    width = sum(char_mm if ord(ch) > 0x2E80 else char_mm * 0.55 for ch in text) + pad_mm
    return max(1, math.ceil(width / UNIT_MM))


NUMERIC_TYPES = frozenset({"integer", "decimal", "money", "percent", "date", "yes_no"})


def _value_need(spec: dict) -> int:
    return 3 if spec.get("type") in NUMERIC_TYPES else 6


def _pairs(fields: list[tuple[dict, Cell]], per_row: int, width: int, lang: str) -> list[list[Cell]]:
    """Label/value pairs in rows of ``width`` units, at most ``per_row`` to a row and only
    as many as fit; a row's width is shared by what its labels and values need."""
    rows = []
    shorts = [(s, c) for s, c in fields if s.get("type", "text") in SHORT_TYPES]
    longs = [(s, c) for s, c in fields if s.get("type", "text") not in SHORT_TYPES]
    lines: list[list[tuple[dict, Cell, int, int]]] = [[]]
    for spec, value in shorts:
        label_need = min(text_units(_label(spec.get("label"), lang)), 5)
        need = (spec, value, label_need, _value_need(spec))
        current = lines[-1]
        if current and (len(current) >= per_row
                        or sum(n[2] + n[3] for n in current) + label_need + need[3] > width):
            lines.append([])
        lines[-1].append(need)
    for line in lines:
        if not line:
            continue
        spans = split_units(width, [lab + val for _, _, lab, val in line])
        cells = []
        for (spec, value, label_need, value_need), span in zip(line, spans):
            lab = max(1, min(label_need, span - min(value_need, span - 1)))
            cells.append(Cell(_label(spec.get("label"), lang), kind="label", units=lab))
            value.units = span - lab
            cells.append(value)
        rows.append(cells)
    for spec, value in longs:
        text = _label(spec.get("label"), lang)
        lab = max(2, min(text_units(text), width // 3))
        value.units = width - lab
        value.align = "left"
        rows.append([Cell(text, kind="label", units=lab), value])
    return rows


def build_paper(raw: dict, data: dict | None, *, organization: str = "", year: Any = "",
                lang: str = "zh", max_span: int | None = None) -> Paper:
    """The printed goal form of definition ``raw`` filled with ``data``.

    :param max_span: the most indicator rows one 一级/二级 cell may span; longer
        categories repeat their cell every ``max_span`` rows. The PDF needs it: its
        engine breaks pages only between rows no rowspan crosses, so a category of a
        few dozen rows would be taller than a page.
    """
    data = data or {}
    values = data.get("fields") or {}
    tree = raw.get("indicator_tree") or {}
    columns = list(tree.get("columns") or DEFAULT_COLUMNS)
    rows: list[Row] = []
    signatures = []
    content = UNITS - SIDE_UNITS

    for section in raw.get("sections", []):
        specs = [s for s in section.get("fields", []) if s.get("type") != "signature"]
        for spec in section.get("fields", []):
            if spec.get("type") == "signature":
                signatures.append((spec["id"], _label(spec.get("label"), lang), str(values.get(spec["id"]) or "")))
        if not specs:
            continue
        cells = [(s, value_cell(s, values.get(s["id"]), f"fields.{s['id']}", lang)) for s in specs]
        if len(specs) == 1:  # 「绩效目标 | …」: the field's own label is the row header
            spec, value = cells[0]
            value.units, value.align = content, "left"
            rows.append(Row([Cell(_label(spec.get("label"), lang), kind="title", units=SIDE_UNITS), value]))
            continue
        lines = _pairs(cells, int(section.get("columns") or 1), content, lang)
        side = Cell(_label(section.get("label"), lang), kind="title", units=SIDE_UNITS, rowspan=len(lines))
        rows.append(Row([side] + lines[0]))
        rows.extend(Row(line) for line in lines[1:])

    milestones = raw.get("milestones")
    if milestones and milestones.get("points"):
        points = milestones["points"]
        given = data.get("milestones") or {}
        chunks = [points[i:i + MAX_POINTS_PER_ROW] for i in range(0, len(points), MAX_POINTS_PER_ROW)]
        side = Cell(_label(milestones.get("label"), lang), kind="title", units=SIDE_UNITS, rowspan=2 * len(chunks))
        for n, chunk in enumerate(chunks):
            spans = split_units(content, [1.0] * len(chunk))
            heads = [Cell(_label(p.get("label"), lang), kind="head", units=u) for p, u in zip(chunk, spans)]
            vals = []
            for point, span in zip(chunk, spans):
                cell = milestone_cell(given.get(point["id"]), f"milestones.{point['id']}")
                cell.units = span
                vals.append(cell)
            rows.append(Row(([side] if n == 0 else []) + heads, kind="milestone-labels"))
            rows.append(Row(vals, kind="milestone-values"))

    units = column_units(columns)
    indicator_head = None
    if tree:
        indicator_head = len(rows)
        heads = [Cell("一级指标" if lang == "zh" else "Level 1", kind="head", units=units[0]),
                 Cell("二级指标" if lang == "zh" else "Level 2", kind="head", units=units[1])]
        heads += [Cell(_label(c.get("label"), lang), kind="head", units=u) for c, u in zip(columns, units[2:])]
        rows.append(Row(heads, kind="ind-head"))
        rows.extend(_indicator_rows(raw, data.get("indicators") or [], columns, units, lang, max_span))

    unit_text = raw.get("unit") or ""
    return Paper(
        title=_label(raw.get("title"), lang), subtitle=f"{year}年度" if year else "", unit=unit_text,
        organization=organization, rows=rows, signatures=signatures, columns=columns, units=units,
        indicator_head=indicator_head,
    ).place()


def _indicator_rows(raw: dict, indicators: list, columns: list[dict], units: list[int], lang: str,
                    max_span: int | None = None) -> list[Row]:
    """Rows grouped 一级 ▸ 二级 with rowspans (at most ``max_span`` rows each); empty
    level-2 groups are left out as on the filled paper forms, but a level-1 category
    without any row still shows."""
    rows = []
    for block in indicator_layout(raw, indicators):
        groups = [g for g in block["groups"] if g["rows"]]
        l1_text = _label(block["category"].get("label"), lang)
        if not groups:
            rows.append(Row([Cell(l1_text, kind="title", units=units[0]),
                             Cell("", units=sum(units[1:]), empty=True, path=None)], kind="ind-empty"))
            continue
        flat = [(g_index, group, row) for g_index, group in enumerate(groups) for _, row in group["rows"]]
        size = max_span or len(flat)
        for start in range(0, len(flat), size):
            chunk = flat[start:start + size]
            for i, (g_index, group, row) in enumerate(chunk):
                cells = []
                if i == 0:
                    cells.append(Cell(l1_text, kind="title", units=units[0], rowspan=len(chunk)))
                if i == 0 or chunk[i - 1][0] != g_index:
                    run = sum(1 for item in chunk[i:] if item[0] == g_index)  # a group's rows are contiguous
                    cells.append(Cell(_label(group["child"].get("label"), lang), kind="title", units=units[1],
                                      rowspan=run))
                for column, u in zip(columns, units[2:]):
                    value = row.get(column["id"])
                    text = _choice_label(column, value, lang) if column.get("choices") and value else (value or "")
                    cells.append(Cell(str(text), value=str(text), units=u, empty=not text,
                                      path=f"indicators.{row.get('id', '')}.{column['id']}",
                                      align="center" if column["id"] == "target" else ""))
                rows.append(Row(cells, kind="ind-row", row_id=row.get("id")))
    return rows
