"""Exporting a survey's responses as CSV (Excel-friendly UTF-8) and XLSX.

One row per response: number, submission time, seconds taken, status (valid,
invalid), the reasons, then one column per question — one per statement of a
matrix — with the chosen labels, and the free texts.

Times are in the installation's zone (``DISPLAY_TIMEZONE``, 北京时间), as everywhere a
user sees one, and the header says so (「提交时间（北京时间）」): a file leaves the app
and its reader cannot know otherwise. XLSX gets a real date-time cell (naive, in that
zone, with a number format), so a spreadsheet sorts and filters it as a time.

Formula injection: a cell whose text starts with ``=``, ``+``, ``-``, ``@`` (or a
tab or carriage return) is prefixed with an apostrophe, so a spreadsheet shows it
as text instead of running it; characters XLSX cannot hold are dropped (both by
:func:`core.reports.cells.safe_cell`). Beneficiaries type the free texts; nobody's
spreadsheet should execute them, and a control character in one must not make the
export a server error.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select

from core.definitions.model import FormDefinition
from core.extensions import db
from core.i18n import display_time, zone_label
from core.reports.cells import safe_cell
from survey.models import Survey, SurveyResponse
from survey.service import definition_of
from survey.validity import reason_labels

BATCH = 1000
#: How a submission time reads in the CSV, and its number format in XLSX.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def columns(definition: FormDefinition) -> list[tuple[str, str, str]]:
    """(question id, item id, header) for every answer column, in questionnaire order."""
    out = []
    for f in definition.fields:
        if f.type == "matrix":
            out += [(f.id, row.id, f"{f.label()}：{row.label()}") for row in f.rows]
        else:
            out.append((f.id, "", f.label()))
    return out


def _cell(field, item_id: str, answers: dict) -> str:
    value = answers.get(field.id)
    if value in (None, "", [], {}):
        return ""
    labels = {c.value: c.label() for c in field.choices}
    if field.type == "matrix":
        return labels.get(value.get(item_id, ""), value.get(item_id, "")) if isinstance(value, dict) else ""
    if isinstance(value, list):
        return "、".join(labels.get(v, v) for v in value)
    return labels.get(value, str(value)) if labels else str(value)


def header(definition: FormDefinition) -> list[str]:
    return (["答卷编号", f"提交时间（{zone_label('zh')}）", "用时（秒）", "状态", "无效原因"]
            + [h for _, _, h in columns(definition)])


def rows(survey: Survey) -> Iterator[list]:
    """Header, then one row per response (streamed from the database in batches).

    The submission time is a naive ``datetime`` in the display zone; each format
    writes it its own way.
    """
    definition = definition_of(survey)
    fields = definition.fields_by_id
    cols = columns(definition)
    yield [safe_cell(h) for h in header(definition)]
    query = (select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
             .order_by(SurveyResponse.id).execution_options(yield_per=BATCH))
    for response in db.session.scalars(query):
        status = "无效（已排除）" if response.excluded else ("有效（已重新计入）" if response.reasons else "有效")
        line = [response.id, display_time(response.submitted_at),
                response.seconds if response.seconds is not None else "", status,
                "；".join(reason_labels(response.reasons))]
        line += [_cell(fields[q], i, response.answers or {}) for q, i, _ in cols]
        yield [safe_cell(v) for v in line]


def to_csv(survey: Survey) -> Iterator[str]:
    """CSV text in chunks, with a BOM so Excel opens the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for line in rows(survey):
        writer.writerow([v.strftime(TIME_FORMAT) if isinstance(v, datetime) else v for v in line])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_xlsx(survey: Survey) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("答卷")
    for line in rows(survey):
        sheet.append([_time_cell(sheet, v) if isinstance(v, datetime) else v for v in line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _time_cell(sheet, value: datetime) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = XLSX_TIME_FORMAT
    return cell
