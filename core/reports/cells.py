"""Text for spreadsheet cells (XLSX and CSV exports), in one place.

Two dangers, both from text people type (project names, indicator rows, survey
answers, form labels an admin wrote):

- **Formula injection** (OWASP "CSV injection"): a spreadsheet runs a cell whose text
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``). Such text gets a leading ``'`` so it is
  shown, never run.
- **Characters XLSX cannot hold**: XML 1.0 forbids most C0 control characters and
  U+FFFE/U+FFFF; openpyxl raises ``IllegalCharacterError`` on them, which made an
  export of a form holding, say, a vertical tab pasted from Word a server error. They
  carry no meaning in a cell and are dropped (CSV gets the same text, so both exports
  agree).

Pure: no Flask, no database.
"""
from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# C0 controls except tab, LF and CR; the two non-characters XML 1.0 excludes.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` without the characters an XLSX file cannot hold."""
    return _NOT_IN_XML.sub("", text)


def safe_cell(value):
    """A value fit for a spreadsheet cell: text made printable and never a formula
    (a leading ``'`` before a formula trigger); other values unchanged."""
    if not isinstance(value, str):
        return value
    value = printable(value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
