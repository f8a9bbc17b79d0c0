"""The goal form as an Excel workbook in the paper layout, and back.

Export: the grid of :mod:`core.reports.paper` — title, unit, merged cells for
一级/二级指标, the spending plan, money as numbers formatted ``#,##0.00``,
percentages as ``0%`` — plus, for the import, a hidden column with each indicator
row's id and a hidden sheet ``_perfforms`` naming the definition and the cell of
every field.

Import: the same workbook, edited. Fields are found at their cells (checked by the
label beside them, and looked up by label when rows moved); indicator rows are read
between the 「一级指标」 header and the signatures, with merged 一级/二级 cells carried
down. Every problem is reported with its Excel row number, and nothing is returned
as data if any row fails (the caller writes nothing).

User text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab,
carriage return) is written as text with a leading ``'`` and read back without it
(CSV/formula injection, OWASP); characters XLSX cannot hold are dropped
(:mod:`core.reports.cells`).

Pure: no Flask, no database.
"""
from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.definitions.errors import DefinitionInvalid
from core.definitions.loader import load_definition
from core.definitions.data import validate_data
from core.reports.cells import FORMULA_TRIGGERS, printable, safe_cell
from core.reports.paper import UNITS, Cell, Paper, build_paper
from core.webforms.builder import new_row_id, row_columns

META_SHEET = "_perfforms"
FORMAT_VERSION = "1"
ID_COLUMN = UNITS + 1  # hidden: the indicator row ids
FIRST_GRID_ROW = 4

MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
MAX_ENTRIES = 400
MAX_ROWS = 2000

# Import problems that refuse the file. Incompleteness (a required field left empty,
# a plan short of 100%, sources that do not add up) is not among them: a draft may be
# incomplete, and the form shows those once saved.
BLOCKING = frozenset({
    "value_not_text", "not_a_number", "not_an_integer", "negative", "below_min", "above_max", "too_long",
    "pattern_mismatch", "not_a_choice", "not_yes_no", "not_a_date", "milestone_not_percent",
    "milestone_range", "unknown_level1", "unknown_level2", "level2_not_child", "target_unparseable",
    "duplicate_row", "indicators_not_list", "row_not_object",
})
ROW_REQUIRED = ("name", "level1", "level2")  # a row with anything in it needs these

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")


# ------------------------------------------------------------------ export -------

def safe_text(text: str) -> str:
    """Text a spreadsheet will not run (:func:`core.reports.cells.safe_cell`); a leading
    ``'`` is doubled too, so :func:`unsafe_text` gives back exactly what was typed."""
    text = printable(text)  # first: "\x0b'=1" must be judged as the "'=1" it becomes
    if text.startswith("'"):
        return "'" + text
    return safe_cell(text)


def unsafe_text(text: str) -> str:
    """The inverse of :func:`safe_text` for text read back from a workbook."""
    if len(text) > 1 and text[0] == "'" and (text[1] in FORMULA_TRIGGERS or text[1] == "'"):
        return text[1:]
    return text


def _put_text(ws, row: int, col: int, text: str):
    cell = ws.cell(row=row, column=col)
    cell.value = safe_text(text)
    cell.data_type = "s"  # never a formula, whatever openpyxl guessed
    return cell


def _put(ws, row: int, col: int, cell: Cell):
    if cell.kind != "value":
        return _put_text(ws, row, col, cell.text)
    if cell.empty or cell.value is None:
        target = ws.cell(row=row, column=col)
        # an empty money or percentage cell is formatted for what will be typed into it
        target.number_format = {"money": "#,##0.00", "percent": "0%"}.get(cell.fmt, "General")
        return target
    if cell.fmt in ("money", "percent", "number") and isinstance(cell.value, Decimal):
        target = ws.cell(row=row, column=col, value=cell.value)
        if cell.fmt == "money":
            target.number_format = "#,##0.00"
        elif cell.fmt == "percent":
            target.number_format = "0%" if (cell.value * 100) == (cell.value * 100).to_integral() else "0.00%"
        return target
    return _put_text(ws, row, col, str(cell.value))


def _lines_needed(text: str, units: int) -> int:
    """Rough line count of wrapped text in ``units`` grid columns (CJK ≈ 2 widths)."""
    if not text:
        return 1
    capacity = max(1.0, units * 4.6 - 1)
    total = 0
    for line in str(text).split("\n"):
        width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in line)
        total += max(1, math.ceil(width / capacity))
    return total


def _style(ws, top: int, left: int, cell: Cell) -> None:
    bottom, right = top + cell.rowspan - 1, left + cell.units - 1
    if bottom > top or right > left:
        ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
    horizontal = {"title": "center", "head": "center", "label": "center"}.get(cell.kind) or \
        ("right" if cell.numeric else (cell.align or "left"))
    for r in range(top, bottom + 1):
        for c in range(left, right + 1):
            target = ws.cell(row=r, column=c)
            target.border = _BORDER
            target.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
            if cell.kind in ("title", "head", "label"):
                target.font = Font(bold=cell.kind != "label")
                if cell.kind == "head":
                    target.fill = _HEAD_FILL


def export_goal(raw: dict, data: dict, *, project_id: int | None = None, organization: str = "",
                year: Any = "", lang: str = "zh") -> bytes:
    """The goal form ``raw`` filled with ``data`` as XLSX bytes, in the paper layout."""
    paper = build_paper(raw, data, organization=organization, year=year, lang=lang)
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(paper.title)
    for col in range(1, UNITS + 1):
        ws.column_dimensions[get_column_letter(col)].width = 4.6
    ws.column_dimensions[get_column_letter(ID_COLUMN)].hidden = True

    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=UNITS)
    title = _put_text(ws, 1, 1, paper.title)
    title.font = Font(bold=True, size=16)
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=UNITS)
    sub = _put_text(ws, 2, 1, f"（{paper.subtitle}）" if paper.subtitle else "")
    sub.alignment = Alignment(horizontal="center")
    split = UNITS - 6
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=split)
    _put_text(ws, 3, 1, f"填报单位：{paper.organization}" if paper.organization else "")
    ws.merge_cells(start_row=3, start_column=split + 1, end_row=3, end_column=UNITS)
    unit = _put_text(ws, 3, split + 1, f"单位：{paper.unit}" if paper.unit else "")
    unit.alignment = Alignment(horizontal="right")

    heights: dict[int, int] = {}
    for index, row in enumerate(paper.rows):
        r = FIRST_GRID_ROW + index
        for cell in row.cells:
            c = cell.column + 1
            _put(ws, r, c, cell)
            _style(ws, r, c, cell)
            if cell.rowspan == 1:
                heights[r] = max(heights.get(r, 1), _lines_needed(cell.text, cell.units))
        if row.kind == "ind-row" and row.row_id:
            ws.cell(row=r, column=ID_COLUMN, value=row.row_id).data_type = "s"
    cells_meta = value_locations(paper)
    for r, lines in heights.items():
        ws.row_dimensions[r].height = max(18, 15 * lines + 3)

    head_row = FIRST_GRID_ROW + paper.indicator_head if paper.indicator_head is not None else None
    if head_row:
        ws.cell(row=head_row, column=ID_COLUMN, value="行标识")
        ws.print_title_rows = f"{head_row}:{head_row}"
    r = FIRST_GRID_ROW + len(paper.rows) + 1
    for field_id, name, value in paper.signatures:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=9)
        lab = _put_text(ws, r, 1, f"{name}：")
        lab.alignment = Alignment(horizontal="right", vertical="bottom")
        ws.merge_cells(start_row=r, start_column=10, end_row=r, end_column=17)
        _put_text(ws, r, 10, value)
        for c in range(10, 18):
            ws.cell(row=r, column=c).border = Border(bottom=_THIN)
        ws.row_dimensions[r].height = 24
        cells_meta.append((f"fields.{field_id}", f"{name}：", r, 1, r, 10))
        r += 1

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.freeze_panes = None

    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    meta.append(["key", "value"])
    for key, value in (("format", FORMAT_VERSION), ("definition", raw.get("id", "")),
                       ("version", str(raw.get("version", ""))), ("project", str(project_id or "")),
                       ("sheet", ws.title), ("indicator_head", str(head_row or ""))):
        meta.append([key, safe_text(value)])  # the sheet's name is the form's title: user text
    meta.append([])
    meta.append(["path", "label", "label_row", "label_col", "value_row", "value_col"])
    for path, label_text, lr, lc, vr, vc in cells_meta:
        meta.append([path, safe_text(label_text), lr, lc, vr, vc])
    for row in meta.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def value_locations(paper: Paper) -> list[tuple[str, str, int, int, int, int]]:
    """``(path, label, label row, label col, value row, value col)`` of every field and
    spending-plan value in an export of ``paper`` (1-based Excel coordinates)."""
    out = []
    for index, row in enumerate(paper.rows):
        r = FIRST_GRID_ROW + index
        for i, cell in enumerate(row.cells):
            if not cell.path or not cell.path.startswith(("fields.", "milestones.")):
                continue
            if row.kind == "milestone-values":
                above = next((c for c in paper.rows[index - 1].cells if c.column == cell.column), None)
                if above is not None:
                    out.append((cell.path, above.text, r - 1, above.column + 1, r, cell.column + 1))
            elif i > 0 and row.cells[i - 1].kind in ("label", "title"):
                label = row.cells[i - 1]
                out.append((cell.path, label.text, r, label.column + 1, r, cell.column + 1))
    return out


def _sheet_title(title: str) -> str:
    cleaned = "".join("_" if ch in '[]:*?/\\' else ch for ch in printable(title))[:31]
    return cleaned or "Sheet1"


# ------------------------------------------------------------------ import -------

@dataclass
class ImportResult:
    data: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _open(body: bytes):
    """The workbook, after checks a hostile file would fail (zip bomb, not a zip)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile:
        raise ValueError("文件不是有效的 Excel 工作簿（.xlsx）。请用「下载 Excel」得到的模板填写后再导入。")
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        raise ValueError("文件解压后过大，不像是本表的模板。")
    try:
        return load_workbook(io.BytesIO(body), data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ValueError(f"无法读取 Excel 文件：{error.__class__.__name__}。请另存为 .xlsx 后重试。")


def _text(value: Any, number_format: str = "General") -> str:
    """A cell's value as the text a filer would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (number_format or ""):
            return f"{(number * 100).normalize():f}%"
        if number == number.to_integral():
            return f"{number.quantize(Decimal(1)):f}"
        return f"{number.normalize():f}"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return unsafe_text(str(value).replace("\r\n", "\n").strip())


class _Sheet:
    """Cell values with merged ranges resolved to their top-left cell."""

    def __init__(self, ws):
        self.ws = ws
        self.owner: dict[tuple[int, int], tuple[int, int]] = {}
        self.extent: dict[tuple[int, int], tuple[int, int]] = {}
        for merged in ws.merged_cells.ranges:
            top = (merged.min_row, merged.min_col)
            self.extent[top] = (merged.max_row, merged.max_col)
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    self.owner[(r, c)] = top

    def raw(self, r: int, c: int):
        cell = self.ws.cell(row=r, column=c)
        return cell.value, cell.number_format

    def text(self, r: int, c: int) -> str:
        r, c = self.owner.get((r, c), (r, c))
        return _text(*self.raw(r, c))

    def own_text(self, r: int, c: int) -> str:
        """The text only if (r, c) is a top-left or unmerged cell (no carry-over)."""
        if self.owner.get((r, c), (r, c)) != (r, c):
            return ""
        return _text(*self.raw(r, c))

    def find(self, text: str, rows: range) -> tuple[int, int] | None:
        for r in rows:
            for c in range(1, UNITS + 1):
                if self.owner.get((r, c), (r, c)) == (r, c) and self.text(r, c) == text:
                    return r, c
        return None


def _read_meta(wb) -> tuple[dict, list[tuple]]:
    if META_SHEET not in wb.sheetnames:
        return {}, []
    meta, cells, in_cells = {}, [], False
    for row in wb[META_SHEET].iter_rows(values_only=True):
        if not row or row[0] is None:
            continue
        if row[0] == "path":
            in_cells = True
            continue
        if in_cells:
            try:
                cells.append((row[0], unsafe_text(str(row[1] or "")), int(row[2]), int(row[3]), int(row[4]),
                              int(row[5])))
            except (TypeError, ValueError, IndexError):
                continue
        elif row[0] != "key":
            meta[str(row[0])] = "" if row[1] is None else unsafe_text(str(row[1]))
    return meta, cells


def import_goal(body: bytes, raw: dict) -> ImportResult:
    """Read a goal-form workbook (made by :func:`export_goal`, then edited) for definition ``raw``.

    :return: ``data`` in the submission shape, or ``errors`` (Chinese, with Excel row
        numbers) — never both: any error means nothing may be written.
    """
    try:
        wb = _open(body)
    except ValueError as error:
        return ImportResult(errors=[str(error)])
    meta, cell_map = _read_meta(wb)
    if meta.get("definition") and meta["definition"] != raw.get("id"):
        return ImportResult(errors=[f"此文件是表单「{meta['definition']}」的模板，与本表（{raw.get('id')}）不符。"
                                    "请先在本表页面「下载 Excel」，在下载的文件中填写。"])
    ws = wb[meta["sheet"]] if meta.get("sheet") in wb.sheetnames else wb.worksheets[0]
    if ws.max_row > MAX_ROWS:
        return ImportResult(errors=[f"工作表有 {ws.max_row} 行，超过上限 {MAX_ROWS} 行。"])
    sheet = _Sheet(ws)
    expected = build_paper(raw, {})  # where things are in an unedited export, and their labels
    errors: list[str] = []

    head_row = _indicator_head(sheet, meta, expected)
    header_rows = range(1, (head_row or ws.max_row + 1))
    located = {path: (lr, lc, vr, vc, label) for path, label, lr, lc, vr, vc in cell_map if path}
    if not located:
        located = _default_locations(expected)

    fields: dict[str, Any] = {}
    where: dict[str, int] = {}
    for section in raw.get("sections", []):
        for spec in section.get("fields", []):
            path = f"fields.{spec['id']}"
            spot = _locate(sheet, located.get(path), header_rows if spec.get("type") != "signature"
                           else range(head_row or 1, ws.max_row + 1))
            if spot is None:
                if path in located:
                    errors.append(f"找不到「{located[path][4].rstrip('：')}」：请勿删除或改写表头的项目名称。")
                continue
            r, c = spot
            fields[spec["id"]] = _field_text(sheet, r, c, spec)
            where[path] = r

    milestones: dict[str, str] = {}
    for point in (raw.get("milestones") or {}).get("points") or []:
        path = f"milestones.{point['id']}"
        spot = _locate(sheet, located.get(path), header_rows)
        if spot is None:
            if path in located:
                errors.append(f"找不到支出计划「{located[path][4]}」：请勿删除或改写表头。")
            continue
        r, c = spot
        value = _text(*sheet.raw(*sheet.owner.get((r, c), (r, c))))
        milestones[point["id"]] = value[:-1].strip() if value.endswith("%") else value
        where[path] = r

    rows, row_numbers = [], []
    if raw.get("indicator_tree"):
        if head_row is None:
            errors.append("找不到绩效指标表头（「一级指标」所在行）：请勿删除或改写表头。")
        else:
            rows, row_numbers, row_errors = _indicator_rows(sheet, raw, expected, head_row, fields)
            errors.extend(row_errors)
    if errors:
        return ImportResult(errors=errors)

    data = {"fields": fields, "milestones": milestones, "indicators": rows}
    try:
        definition = load_definition(raw)
    except DefinitionInvalid as invalid:  # a stored definition is valid; never expected
        return ImportResult(errors=[str(p) for p in invalid.problems])
    normalised, problems = validate_data(definition, data)
    for problem in problems:
        if problem.code not in BLOCKING and not _row_required(problem):
            continue
        row = _row_of(problem.path, where, row_numbers)
        errors.append(f"第 {row} 行：{problem.message}" if row else problem.message)
    if errors:
        return ImportResult(errors=errors)
    # Choices as their values (the sheet shows labels); everything else as typed.
    choice_types = {"choice", "multi_choice", "rating", "yes_no"}
    for spec in definition.fields:
        if spec.type in choice_types and fields.get(spec.id) not in (None, ""):
            fields[spec.id] = normalised["fields"].get(spec.id, fields[spec.id])
    data["indicators"] = [{k: row.get(k, "") for k in ("id", "level1", "level2", *_column_ids(raw))}
                          for row in normalised["indicators"]]
    return ImportResult(data=data)


def _column_ids(raw: dict) -> list[str]:
    return [c["id"] for c in row_columns(raw)]


def _row_required(problem) -> bool:
    return problem.code == "row_cell_required" and problem.path.rsplit(".", 1)[-1] in ROW_REQUIRED


def _row_of(path: str, where: dict[str, int], row_numbers: list[int]) -> int | None:
    if path in where:
        return where[path]
    if path.startswith("indicators["):
        try:
            return row_numbers[int(path[len("indicators["):path.index("]")])]
        except (ValueError, IndexError):
            return None
    return None


def _default_locations(paper: Paper) -> dict:
    return {path: (lr, lc, vr, vc, label) for path, label, lr, lc, vr, vc in value_locations(paper)}


def _locate(sheet: _Sheet, spot, rows: range) -> tuple[int, int] | None:
    """The value cell for a (label row, label col, value row, value col, label) record:
    where it was exported if the label is still beside it, else next to the label found
    by its text (rows inserted above move everything down)."""
    if spot is None:
        return None
    lr, lc, vr, vc, text = spot
    if sheet.text(lr, lc) == text:
        return vr, vc
    found = sheet.find(text, rows)
    if found is None:
        return None
    return found[0] + (vr - lr), found[1] + (vc - lc)


def _field_text(sheet: _Sheet, r: int, c: int, spec: dict) -> str:
    value, number_format = sheet.raw(*sheet.owner.get((r, c), (r, c)))
    if spec.get("type") == "money" and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return f"{number.quantize(Decimal('0.01')):f}"
    if spec.get("type") == "percent" and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return f"{(number * 100 if '%' in number_format else number).normalize():f}"
    return _text(value, number_format)


def _indicator_head(sheet: _Sheet, meta: dict, paper: Paper) -> int | None:
    if paper.indicator_head is None:
        return None
    hinted = meta.get("indicator_head")
    if hinted and hinted.isdigit() and sheet.text(int(hinted), 1) == paper.rows[paper.indicator_head].cells[0].text:
        return int(hinted)
    found = sheet.find(paper.rows[paper.indicator_head].cells[0].text, range(1, sheet.ws.max_row + 1))
    return found[0] if found and found[1] == 1 else None


def _indicator_rows(sheet: _Sheet, raw: dict, paper: Paper, head_row: int,
                    fields: dict) -> tuple[list[dict], list[int], list[str]]:
    columns = paper.columns
    starts = [sum(paper.units[:i]) + 1 for i in range(len(paper.units))]
    spans = list(zip(starts, paper.units))
    signature_labels = {f"{name}：" for _id, name, _v in paper.signatures}
    rows, numbers, errors, taken = [], [], [], set()
    level1 = level2 = ""
    for r in range(head_row + 1, sheet.ws.max_row + 1):
        first = sheet.text(r, 1)
        if first in signature_labels:
            break
        l1_own = sheet.own_text(r, spans[0][0])
        l2_own = sheet.own_text(r, spans[1][0])
        if sheet.owner.get((r, 1), (r, 1)) != (r, 1):
            l1_own = ""  # under a merged 一级指标 cell: same category as above
        values = {}
        for column, (start, width) in zip(columns, spans[2:]):
            parts = [sheet.own_text(r, c) for c in range(start, start + width)]
            values[column["id"]] = "\n".join(p for p in parts if p)
        row_id = sheet.own_text(r, ID_COLUMN)
        if l1_own:
            level1, level2 = l1_own, ""
        if l2_own:
            level2 = l2_own
        if not any(values.values()):
            continue  # an empty line, or a category printed without rows
        if not row_id or row_id in taken or not row_id.replace("_", "").isalnum() or len(row_id) > 40:
            row_id = new_row_id()
        taken.add(row_id)
        rows.append({"id": row_id, "level1": level1, "level2": level2, **values})
        numbers.append(r)
    return rows, numbers, errors
