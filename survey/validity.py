"""Rules that flag a survey response as invalid: pure functions, no Flask, no database.

A flagged response is stored, listed with its reasons and left out of the index;
the survey's owner can count it again (the change is audited). Nothing is
deleted, so a rule that is too strict costs a click, not an answer.

Rules (codes stored in ``SurveyResponse.invalid_reason``):

``straight_lining``
    every statement of a matrix with at least ``min_rows`` statements got the same
    answer (``min_rows`` 0 switches the rule off). Sincere "all very satisfied"
    answers exist; that is why the owner can re-include, and why the results page
    also shows the index with flagged responses counted.
``too_fast``
    submitted less than ``min_seconds`` after the first page was served.
``no_start_time``
    the signed start time was missing or forged, so the speed cannot be judged.
``duplicate_device``
    (open mode) another response came from the same device hash (IP + browser)
    without the "already answered" cookie — e.g. cookies cleared, or two people
    sharing one phone, which is common among elderly couples.
``manual``
    the owner excluded it by hand.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from core.definitions.model import FormDefinition

REASONS = {
    "straight_lining": {"zh": "矩阵题所有陈述选了同一项（直线作答）",
                        "en": "the same answer to every statement of a matrix (straight-lining)"},
    "too_fast": {"zh": "作答时间过短", "en": "completed too fast"},
    "no_start_time": {"zh": "缺少有效的开始时间", "en": "no valid start time"},
    "duplicate_device": {"zh": "同一设备重复提交", "en": "a second response from the same device"},
    "manual": {"zh": "负责人手动排除", "en": "excluded by the owner"},
}


def straight_lined(definition: FormDefinition, fields: Mapping, min_rows: int) -> list[str]:
    """Ids of the matrix questions answered with one and the same choice on every row."""
    if min_rows <= 0:
        return []
    found = []
    for f in definition.fields:
        if f.type != "matrix" or len(f.rows) < min_rows:
            continue
        answers = fields.get(f.id)
        if not isinstance(answers, Mapping) or len(answers) < len(f.rows):
            continue
        if len(set(answers.values())) == 1:
            found.append(f.id)
    return found


def too_fast(started_at: datetime | None, submitted_at: datetime, min_seconds: int) -> bool:
    if started_at is None or min_seconds <= 0:
        return False
    return (submitted_at - started_at).total_seconds() < min_seconds


def assess(definition: FormDefinition, fields: Mapping, *, started_at: datetime | None,
           submitted_at: datetime, min_seconds: int, straight_line_min_rows: int,
           duplicate_device: bool = False) -> list[str]:
    """The codes of every rule the response breaks, in a fixed order (empty: valid).

    :param fields: the normalised answers (``{question_id: value}``; a matrix is
        ``{row_id: choice}``).
    :param started_at: when the first page was served (None if unknown).
    """
    reasons = []
    if straight_lined(definition, fields, straight_line_min_rows):
        reasons.append("straight_lining")
    if started_at is None:
        reasons.append("no_start_time")
    elif too_fast(started_at, submitted_at, min_seconds):
        reasons.append("too_fast")
    if duplicate_device:
        reasons.append("duplicate_device")
    return reasons


def reason_labels(codes: list[str], lang: str = "zh") -> list[str]:
    return [(REASONS.get(code) or {}).get(lang) or (REASONS.get(code) or {}).get("zh") or code
            for code in codes]
