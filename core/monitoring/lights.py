"""Traffic lights of 双监控: one per indicator, one for the budget, one per project.

Pure functions; no Flask, no database. The rules (DOMAIN.md §8, thresholds from the
definition, see :mod:`core.monitoring.settings`):

* budget: v = execution rate ÷ planned rate × 100 → red / yellow / green
  (:func:`core.monitoring.progress.planned_rate` says where the plan comes from);
* positive indicator: v = completed ÷ expected × 100 → red / yellow / green / blue;
* reverse indicator (``< 5 次``, ``<260 万``) and zero target (``0 次``): green
  while the actual stays within the target, else red;
* qualitative (``及时``, ``有效``), deadline (``8月31日前``) or not-a-value targets:
  the filer picks 达成 (green) / 部分达成 (yellow) / 未达成 (red);
* project: the worst light (red > yellow > blue > green).

A red light needs a deviation reason (偏差原因及纠偏措施); the definition may extend
that to other colours (``reason_required_for``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from core.definitions.errors import Problem
from core.definitions.targets import Target, TargetParseError, meets, parse_actual, parse_target
from core.monitoring.progress import (budget_progress, execution_rate, expected_value, indicator_progress,
                                      is_level, planned_rate, to_decimal)
from core.monitoring.settings import SEVERITY, MonitoringSettings

#: What the filer picks for a target that has no number (the scoring tiers' ids).
TIERS = {
    "achieved": ({"zh": "达成", "en": "Achieved"}, "green"),
    "partial": ({"zh": "部分达成", "en": "Partly achieved"}, "yellow"),
    "not_achieved": ({"zh": "未达成", "en": "Not achieved"}, "red"),
}

METHODS = {
    "pro_rata": {"zh": "按序时进度", "en": "pro rata"},
    "level": {"zh": "按目标水平", "en": "against the level"},
    "ceiling": {"zh": "不超过目标", "en": "within the target"},
    "tier": {"zh": "定性判断", "en": "judgement"},
}


@dataclass(frozen=True)
class IndicatorLight:
    """One goal-form row at one round."""

    row_id: str
    name: str
    level1: str
    level2: str
    target: str
    method: str
    unit: str = ""
    actual: str = ""
    actual_value: Decimal | None = None
    expected: Decimal | None = None
    value: Decimal | None = None
    tier: str = ""
    light: str | None = None
    deviation_reason: str = ""
    problem: str | None = None  # why no light could be set (no actual yet, not a number…)


@dataclass(frozen=True)
class BudgetLight:
    budget: Decimal | None
    executed: Decimal | None
    execution_rate: Decimal | None
    planned_rate: Decimal
    planned_source: str  # "plan" or "time"
    value: Decimal | None
    light: str | None
    deviation_reason: str = ""


@dataclass(frozen=True)
class ProjectLights:
    month: int
    budget: BudgetLight
    indicators: tuple[IndicatorLight, ...]
    light: str | None
    complete: bool = field(default=True)

    def counts(self) -> dict[str, int]:
        """How many indicators have each light (``None``: not yet filled)."""
        out: dict[str | None, int] = {}
        for item in self.indicators:
            out[item.light] = out.get(item.light, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (Decimals as strings), stored with the report."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def worst(lights: Iterable[str | None]) -> str | None:
    """The worst of some lights (red > yellow > blue > green); None when there are none."""
    present = [light for light in lights if light is not None]
    return max(present, key=SEVERITY.__getitem__) if present else None


def _target(text: str) -> Target | None:
    try:
        return parse_target(text or "")
    except TargetParseError:
        return None


def _method(target: Target | None) -> str:
    if target is None or target.qualitative or target.value is None or target.direction == "deadline":
        return "tier"
    if target.direction in ("reverse", "equal"):
        return "ceiling"
    return "level" if is_level(target) else "pro_rata"


def indicator_light(row: Mapping[str, Any], entry: Mapping[str, Any] | None, month: int,
                    settings: MonitoringSettings) -> IndicatorLight:
    """The light of one goal-form ``row`` from what the filer entered for it."""
    entry = entry or {}
    target = _target(row.get("target", ""))
    method = _method(target)
    if method == "level" and settings.percent_targets == "time_scaled":
        method = "pro_rata"
    base = dict(row_id=row.get("id", ""), name=row.get("name", ""), level1=row.get("level1", ""),
                level2=row.get("level2", ""), target=row.get("target", ""), method=method,
                unit=(target.unit or "") if target is not None else "",
                actual=str(entry.get("actual") or "").strip(), tier=str(entry.get("tier") or "").strip(),
                deviation_reason=str(entry.get("deviation_reason") or "").strip())
    if method == "tier":
        if base["tier"] not in TIERS:
            return IndicatorLight(**base, problem="tier_missing")
        return IndicatorLight(**base, light=TIERS[base["tier"]][1])
    if not base["actual"]:
        return IndicatorLight(**base, problem="actual_missing")
    try:
        actual = parse_actual(base["actual"])
    except TargetParseError:
        actual = None
    if actual is None:
        return IndicatorLight(**base, problem="actual_not_number")
    if method == "ceiling":
        return IndicatorLight(**base, actual_value=actual, expected=target.value,
                              light="green" if meets(target, actual) else "red")
    expected = expected_value(target, month, "level" if method == "level" else "time_scaled")
    value = indicator_progress(target, actual, month, "level" if method == "level" else "time_scaled")
    return IndicatorLight(**base, actual_value=actual, expected=expected, value=value,
                          light=settings.indicator_band.light(value) if value is not None else "green")


def budget_light(budget: Decimal | None, executed: Decimal | None, plan: list[tuple[int, Decimal]],
                 month: int, settings: MonitoringSettings, deviation_reason: str = "") -> BudgetLight:
    """The budget light: execution rate against the planned rate at the end of ``month``."""
    planned, source = planned_rate(plan, month)
    rate = execution_rate(executed, budget)
    value = budget_progress(rate, planned)
    if rate is None:
        light = None
    elif value is None:  # nothing was planned by now, so nothing is late
        light = "green"
    else:
        light = settings.budget_band.light(value)
    return BudgetLight(budget, executed, rate, planned, source, value, light, deviation_reason.strip())


def evaluate(goal_rows: Iterable[Mapping[str, Any]], entries: Mapping[str, Mapping[str, Any]] | None,
             fields: Mapping[str, Any] | None, plan: list[tuple[int, Decimal]], month: int,
             settings: MonitoringSettings) -> ProjectLights:
    """Every light of one project at one round.

    :param goal_rows: the approved goal form's indicator rows.
    :param entries: the report's ``indicators`` (``{row_id: {"actual", "tier", "deviation_reason"}}``).
    :param fields: the report's field values (budget, executed, deviation reason — which
        field is which is in ``settings.fields``).
    :param plan: the spending plan, from :func:`core.monitoring.progress.plan_points`.
    :param month: the round covers January to the end of this month.
    """
    fields, entries = fields or {}, entries or {}
    names = settings.fields
    budget = budget_light(to_decimal(fields.get(names["budget"])), to_decimal(fields.get(names["executed"])),
                          plan, month, settings, str(fields.get(names["deviation_reason"]) or ""))
    indicators = tuple(indicator_light(row, entries.get(row.get("id")), month, settings) for row in goal_rows)
    lights = [budget.light, *(i.light for i in indicators)]
    complete = all(light is not None for light in lights)
    return ProjectLights(month, budget, indicators, worst(lights), complete)


# ------------------------------------------------------------------ problems ----

MESSAGES = {
    "actual_missing": {"zh": "请填写「{name}」的累计完成值（指标值 {target}）",
                       "en": "enter the completed value of “{name}” (target {target})"},
    "actual_not_number": {"zh": "「{name}」的完成值「{actual}」不是数值，请写成如「120 人」「95%」",
                          "en": "the completed value “{actual}” of “{name}” is not a number (write e.g. “120 人”, “95%”)"},
    "tier_missing": {"zh": "请为「{name}」（指标值 {target}）选择完成情况：达成、部分达成或未达成",
                     "en": "choose how far “{name}” (target {target}) is achieved: achieved, partly or not"},
    "reason_required": {"zh": "「{name}」为{light}（{detail}），须填写偏差原因及纠偏措施",
                        "en": "“{name}” is {light} ({detail}): give the reason for the deviation and the measures taken"},
    "budget_reason_required": {
        "zh": "预算执行为{light}：执行率 {rate}%，计划 {planned}%，须填写偏差原因及纠偏措施",
        "en": "budget execution is {light}: {rate}% executed against {planned}% planned; give the reason and the measures"},
}

_LIGHT_WORDS = {"red": {"zh": "红灯", "en": "red"}, "yellow": {"zh": "黄灯", "en": "yellow"},
                "green": {"zh": "绿灯", "en": "green"}, "blue": {"zh": "蓝灯", "en": "blue"}}


def pct(value: Decimal | None) -> str:
    """Two decimals, as printed (56.25); "—" for none."""
    return "—" if value is None else f"{value.quantize(Decimal('0.01')):f}"


def _say(key: str, lang: str, **params: Any) -> str:
    entry = MESSAGES[key]
    return (entry.get(lang) or entry["zh"]).format(**params)


def _detail(item: IndicatorLight, lang: str) -> str:
    if item.value is not None:
        return (f"完成进度 {pct(item.value)}%" if lang == "zh" else f"progress {pct(item.value)}%")
    if item.method == "tier":
        return TIERS[item.tier][0].get(lang) or TIERS[item.tier][0]["zh"]
    return (f"实际 {item.actual}，超出目标" if lang == "zh" else f"actual {item.actual}, beyond the target")


def report_problems(lights: ProjectLights, settings: MonitoringSettings, lang: str = "zh") -> list[Problem]:
    """What stops a report from being submitted: missing values and missing reasons."""
    problems = []
    for item in lights.indicators:
        where = f"indicators.{item.row_id}"
        if item.problem:
            key = "tier" if item.problem == "tier_missing" else "actual"
            problems.append(Problem(f"{where}.{key}", _say(item.problem, lang, name=item.name,
                                                           target=item.target, actual=item.actual), item.problem))
        elif item.light in settings.reason_required_for and not item.deviation_reason:
            problems.append(Problem(f"{where}.deviation_reason", _say(
                "reason_required", lang, name=item.name, light=_LIGHT_WORDS[item.light][lang],
                detail=_detail(item, lang)), "reason_required"))
    budget = lights.budget
    if budget.light in settings.reason_required_for and not budget.deviation_reason:
        problems.append(Problem(f"fields.{settings.fields['deviation_reason']}", _say(
            "budget_reason_required", lang, light=_LIGHT_WORDS[budget.light][lang],
            rate=pct(budget.execution_rate), planned=pct(budget.planned_rate)), "reason_required"))
    return problems
