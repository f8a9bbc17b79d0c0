"""Validate a filled-in spending plan (资金支出计划): cumulative % at month ends.

Rules (docs/definitions.md): each value within 0–100; never decreasing; 100%
reached at or before the point whose month is ``complete_by_month``. Empty points
are skipped, so empty later points after an earlier 100% are fine — Boye's forms
leave 12月底 blank once 10月底 reaches 100, and Shijiazhuang wants projects done by
the end of November.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from .errors import Problem
from .messages import problem
from .model import Milestones
from .values import decimal_text, parse_number

HUNDRED = Decimal(100)


def _parse_points(plan: Milestones, raw: Mapping, lang: str) -> tuple[dict, dict, list[Problem]]:
    normalised: dict[str, str] = {}
    values: dict[str, Decimal] = {}
    problems: list[Problem] = []
    for point in plan.points:
        text = raw.get(point.id)
        text = "" if text is None else str(text).strip()
        normalised[point.id] = ""
        if not text:
            continue
        value = parse_number(text, percent=True)
        path, label = f"milestones.{point.id}", point.label(lang)
        if value is None:
            problems.append(problem(path, "milestone_not_percent", lang, point=label, value=text))
        elif not 0 <= value <= HUNDRED:
            problems.append(problem(path, "milestone_range", lang, point=label, value=decimal_text(value)))
        else:
            normalised[point.id] = decimal_text(value)
            values[point.id] = value
    return normalised, values, problems


def _decreasing(plan: Milestones, values: dict[str, Decimal], lang: str) -> list[Problem]:
    problems, previous = [], None
    for point in plan.points:
        if point.id not in values:
            continue
        if previous is not None and values[point.id] < values[previous.id]:
            problems.append(problem(
                f"milestones.{point.id}", "milestone_decreasing", lang,
                point=point.label(lang), value=decimal_text(values[point.id]),
                previous=previous.label(lang), previous_value=decimal_text(values[previous.id])))
        else:
            previous = point
    return problems


def _incomplete(plan: Milestones, values: dict[str, Decimal], lang: str) -> list[Problem]:
    due = plan.complete_by
    reached = [values[p.id] for p in plan.points if p.month <= due.month and p.id in values]
    if reached and max(reached) >= HUNDRED:
        return []
    return [problem(f"milestones.{due.id}", "milestone_incomplete", lang, point=due.label(lang))]


def validate_milestones(plan: Milestones | None, raw: Any, lang: str = "zh") -> tuple[dict, list[Problem]]:
    """``(normalised {point_id: "25"}, problems)`` for a submitted plan.

    A plan with no value at all is reported once, at ``milestones``; a definition
    without a plan accepts anything and returns ``{}``.
    """
    if plan is None:
        return {}, []
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return {p.id: "" for p in plan.points}, [problem("milestones", "data_not_object", lang)]
    normalised, values, unreadable = _parse_points(plan, raw, lang)
    if not values and not unreadable:
        return normalised, [problem("milestones", "milestones_missing", lang, label=plan.label(lang))]
    problems = unreadable + _decreasing(plan, values, lang)
    if not unreadable:  # while a value is unreadable, it may be the missing 100%
        problems += _incomplete(plan, values, lang)
    return normalised, problems
