"""The ``monitoring`` block of a definition: rounds and light thresholds (双监控).

Structure (a marshmallow schema, like the rest of the language) and meaning (round
ids unique, months increasing, thresholds in order, field references that exist)
are both checked here, so :mod:`core.definitions.semantics` only has to call
:func:`check_monitoring`. The typed settings the platform uses are built by
:func:`core.monitoring.settings.monitoring_settings`.
"""
from __future__ import annotations

from typing import Any, Mapping

from .errors import Problem
from .messages import problem
from .schema import (JsonInt, JsonNumber, Lst, Nest, StrictSchema, Str, a_label, an_id, at_least, between,
                     check_structure, one_of, NOT_EMPTY)

LIGHT_NAMES = ("red", "yellow", "green", "blue")
PERCENT_TARGET_MODES = ("level", "time_scaled")
FIELD_ROLES = ("budget", "executed", "deviation_reason")


class RoundSchema(StrictSchema):
    id = Str(required=True, validate=an_id())
    month = JsonInt(required=True, validate=between(1, 12))
    label = a_label(required=True)
    help = a_label()


class BandSchema(StrictSchema):
    red_below = JsonNumber(validate=at_least(0))
    green_from = JsonNumber(validate=at_least(0))
    blue_from = JsonNumber(validate=at_least(0))


class ThresholdsSchema(StrictSchema):
    budget = Nest(BandSchema)
    indicator = Nest(BandSchema)


class FieldRolesSchema(StrictSchema):
    budget = Str(validate=an_id())
    executed = Str(validate=an_id())
    deviation_reason = Str(validate=an_id())


class KeyProjectsSchema(StrictSchema):
    min_budget = JsonNumber(required=True, validate=at_least(0))
    below_rate = JsonNumber(required=True, validate=between(0, 1000))
    from_month = JsonInt(validate=between(1, 12))


class MonitoringSchema(StrictSchema):
    rounds = Lst(Nest(RoundSchema), validate=NOT_EMPTY)
    thresholds = Nest(ThresholdsSchema)
    percent_targets = Str(validate=one_of(PERCENT_TARGET_MODES, "invalid"))
    reason_required_for = Lst(Str(validate=one_of(LIGHT_NAMES, "invalid")))
    fields = Nest(FieldRolesSchema)
    key_projects = Nest(KeyProjectsSchema)
    help = a_label()


_MESSAGES = {
    "thresholds_order": {
        "zh": "阈值须满足 red_below ≤ green_from ≤ blue_from，现为 {values}",
        "en": "thresholds must satisfy red_below ≤ green_from ≤ blue_from, got {values}",
    },
    "not_a_field": {
        "zh": "「{name}」不是本表单的字段 id（用于{role}）",
        "en": "“{name}” is not a field id of this form (used for {role})",
    },
}
_ROLE_WORDS = {"budget": {"zh": "年度预算数", "en": "the annual budget"},
               "executed": {"zh": "累计执行数", "en": "the amount executed"},
               "deviation_reason": {"zh": "预算执行偏差原因", "en": "the budget deviation reason"}}
_DEFAULT_FIELDS = {"budget": "annual_budget", "executed": "executed", "deviation_reason": "budget_deviation_reason"}
_DEFAULT_BANDS = {"budget": (60, 80, None), "indicator": (60, 80, 120)}


def _say(key: str, lang: str, **params: Any) -> str:
    entry = _MESSAGES[key]
    return (entry.get(lang) or entry["zh"]).format(**params)


def _field_ids(doc: Mapping) -> set[str]:
    return {f.get("id") for s in doc.get("sections") or [] if isinstance(s, Mapping)
            for f in s.get("fields") or [] if isinstance(f, Mapping)}


def _meaning(block: Mapping, doc: Mapping, lang: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    previous = 0
    for index, item in enumerate(block.get("rounds") or []):
        path = f"monitoring.rounds[{index}]"
        if item["id"] in seen:
            problems.append(problem(f"{path}.id", "duplicate_id", lang, id=item["id"],
                                    first=f"monitoring.rounds[{seen[item['id']]}]"))
        seen.setdefault(item["id"], index)
        if item["month"] <= previous:
            problems.append(problem(f"{path}.month", "months_order", lang, month=item["month"], previous=previous))
        previous = max(previous, item["month"])
    for name, band in (block.get("thresholds") or {}).items():
        red, green, blue = _DEFAULT_BANDS[name]
        red, green = band.get("red_below", red), band.get("green_from", green)
        blue = band.get("blue_from", blue)
        if red > green or (blue is not None and green > blue):
            problems.append(Problem(f"monitoring.thresholds.{name}", _say(
                "thresholds_order", lang, values=f"{red} / {green} / {blue if blue is not None else '—'}"),
                "thresholds_order"))
    fields = _field_ids(doc)
    for role, name in {**_DEFAULT_FIELDS, **(block.get("fields") or {})}.items():
        if name not in fields:
            problems.append(Problem(f"monitoring.fields.{role}", _say(
                "not_a_field", lang, name=name, role=_ROLE_WORDS[role].get(lang, _ROLE_WORDS[role]["zh"])),
                "unknown_name"))
    return problems


def check_monitoring(doc: Mapping, lang: str = "zh") -> list[Problem]:
    """Problems of the ``monitoring`` block (none when absent).

    The block is required to make sense only in a form of kind ``monitoring``; there
    the field references are checked against the form's own fields.
    """
    if "monitoring" not in doc:
        return []
    block = doc["monitoring"]
    problems = check_structure(block, MonitoringSchema(), lang, prefix="monitoring")
    if problems or not isinstance(block, Mapping):
        return problems
    if doc.get("kind") != "monitoring":
        return [Problem("monitoring", "只有 monitoring 类表单可以有 monitoring 设置" if lang == "zh"
                        else "only a form of kind monitoring may have a monitoring block", "not_applicable")]
    return _meaning(block, doc, lang)
