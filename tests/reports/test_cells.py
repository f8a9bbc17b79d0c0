"""Text in spreadsheet cells: never a formula, nothing XLSX cannot hold, and the goal
export reads back exactly as typed (less the characters a cell cannot hold)."""
from __future__ import annotations

import pytest

from core.reports.cells import FORMULA_TRIGGERS, printable, safe_cell
from core.reports.xlsx import safe_text, unsafe_text


@pytest.mark.parametrize("typed", ["=1+1", "'=1", "\x0b'=1", "\x0b=1", "+86 138", "-2%", "@SUM(A1)", "\t=1",
                                   "''", "普通文字", "'引号开头", "≥ 95%"])
def test_goal_export_text_reads_back_as_typed(typed):
    written = safe_text(typed)
    assert not written.startswith(FORMULA_TRIGGERS)
    assert printable(written) == written
    assert unsafe_text(written) == printable(typed)


@pytest.mark.parametrize("typed, cell", [("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("a\x01b\ufffe", "ab"),
                                         ("\x0b=1", "'=1"), (12.5, 12.5), ("满意", "满意")])
def test_safe_cell(typed, cell):
    assert safe_cell(typed) == cell
