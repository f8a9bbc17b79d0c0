"""Starting points for an admin-made jurisdiction: a minimal valid goal form and
self-evaluation, and the rewriting that turns a cloned built-in form into a form
of the new jurisdiction. Pure: dicts in, dicts out.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

DEFAULT_MONTHS = (3, 6, 9, 12)
DEFAULT_COMPLETE_BY = 12

#: Kinds an admin may add to a pack, with their names.
KIND_LABELS = {
    "goal": {"zh": "绩效目标表", "en": "Goal form"},
    "self_evaluation": {"zh": "绩效自评表", "en": "Self-evaluation"},
    "monitoring": {"zh": "绩效运行监控表", "en": "Monitoring form"},
    "assessment": {"zh": "绩效评分表", "en": "Assessment"},
    "ex_ante": {"zh": "事前绩效评估表", "en": "Ex-ante assessment"},
}
#: Kinds whose forms carry a ``scoring`` tree (edited in the scoring part of the editor).
SCORING_KINDS = ("self_evaluation", "assessment")


def _label(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


def milestones(months: Iterable[int], complete_by: int) -> dict:
    """The spending plan (资金支出计划) with one point per month-end, cumulative %."""
    points = [{"id": f"m{month:02d}", "month": month,
               "label": _label(f"{month}月底", f"End of {MONTHS_EN[month - 1]}")}
              for month in sorted(set(months))]
    return {"label": _label("资金支出计划（%）", "Spending plan (%)"),
            "help": _label("按月末累计支出比例填写", "Cumulative share spent by the end of each month"),
            "points": points, "complete_by_month": complete_by}


def _category(cid: str, zh: str, en: str, children: list, role: str | None = None) -> dict:
    category = {"id": cid, "label": _label(zh, en), "children": children}
    if role:
        category["role"] = role
    return category


def _child(cid: str, zh: str, en: str, role: str) -> dict:
    return {"id": cid, "label": _label(zh, en), "role": role}


def indicator_tree() -> dict:
    """The three-level indicator tree of the national goal form (产出 / 效益 / 满意度)."""
    return {
        "label": _label("绩效指标", "Performance indicators"),
        "allow_add_rows": True,
        "categories": [
            _category("output", "产出指标", "Output indicators", [
                _child("quantity", "数量指标", "Quantity", "quantity"),
                _child("quality", "质量指标", "Quality", "quality"),
                _child("timeliness", "时效指标", "Timeliness", "timeliness"),
                _child("cost", "成本指标", "Cost", "cost")]),
            _category("effect", "效益指标", "Effect indicators", [
                _child("social", "社会效益指标", "Social benefit", "social"),
                _child("sustainable", "可持续影响指标", "Sustainable impact", "sustainable")], role="effect"),
            _category("satisfaction", "满意度指标", "Satisfaction indicators", [
                _child("beneficiary", "服务对象满意度指标", "Beneficiary satisfaction", "satisfaction")],
                role="satisfaction"),
        ],
        "min_rows": {"output": 1},
    }


def blank_goal(code: str, unit: str, months: Iterable[int] = DEFAULT_MONTHS,
               complete_by: int = DEFAULT_COMPLETE_BY) -> dict:
    """A minimal valid goal form (绩效目标表): project, budget, spending plan, indicators."""
    return {
        "id": f"{code}.goal", "version": 1, "kind": "goal",
        "title": _label("项目支出绩效目标表", "Project expenditure performance goal form"),
        "unit": unit,
        "sections": [
            {"id": "project", "label": _label("项目信息", "Project"), "columns": 2, "fields": [
                {"id": "unit_name", "type": "text", "label": _label("单位", "Budget unit"),
                 "prefill": "organization.name", "required": True},
                {"id": "project_name", "type": "text", "label": _label("项目名称", "Project name"),
                 "prefill": "project.name", "required": True}]},
            {"id": "budget", "label": _label("预算规模及资金用途", "Budget and use of funds"), "fields": [
                {"id": "budget_total", "type": "money", "label": _label("预算数", "Budget"),
                 "prefill": "project.budget", "required": True, "min": 0},
                {"id": "purpose", "type": "textarea", "label": _label("资金用途", "Use of funds"),
                 "required": True}]},
        ],
        "milestones": milestones(months, complete_by),
        "indicator_tree": indicator_tree(),
    }


def blank_self_evaluation(code: str, unit: str) -> dict:
    """A minimal valid self-evaluation: the goal's output rows (90) and budget execution (10)."""
    return {
        "id": f"{code}.self_evaluation", "version": 1, "kind": "self_evaluation",
        "title": _label("项目支出绩效自评表", "Project expenditure performance self-evaluation"),
        "unit": unit,
        "sections": [
            {"id": "header", "label": _label("项目基本情况", "Project"), "fields": [
                {"id": "project_name", "type": "text", "label": _label("项目名称", "Project"),
                 "prefill": "project.name", "required": True}]},
            {"id": "budget", "label": _label("项目资金", "Funds"), "fields": [
                {"id": "budget_full_year", "type": "money", "label": _label("全年预算数", "Full-year budget"),
                 "prefill": "project.budget", "required": True, "min": 0},
                {"id": "executed", "type": "money", "label": _label("全年执行数", "Executed"),
                 "required": True, "min": 0}]},
        ],
        "scoring": {
            "max": 100,
            "nodes": [
                {"id": "output", "label": _label("产出指标", "Output indicators"), "weight": 90,
                 "from_goal": {"level1": "output"}},
                {"id": "budget_execution", "label": _label("预算执行", "Budget execution"), "weight": 10,
                 "children": [
                     {"id": "execution_rate", "label": _label("预算执行率", "Budget execution rate"),
                      "weight": 10, "standard": {"zh": "得分 = min(10, 全年执行数 ÷ 全年预算数 × 10)"},
                      "rule": {"type": "ratio", "actual": "executed", "target": "budget_full_year"}}]},
            ],
        },
    }


def blank_form(code: str, kind: str, unit: str, months: Iterable[int] = DEFAULT_MONTHS,
               complete_by: int = DEFAULT_COMPLETE_BY) -> dict:
    """A minimal valid definition of ``kind`` for jurisdiction ``code``."""
    if kind == "goal":
        return blank_goal(code, unit, months, complete_by)
    if kind == "self_evaluation":
        return blank_self_evaluation(code, unit)
    body = {"id": f"{code}.{kind}", "version": 1, "kind": kind,
            "title": copy.deepcopy(KIND_LABELS.get(kind, _label(kind, kind))), "unit": unit,
            "sections": [{"id": "main", "label": _label("基本情况", "General"), "fields": [
                {"id": "project_name", "type": "text", "label": _label("项目名称", "Project"),
                 "prefill": "project.name", "required": True}]}]}
    if kind == "assessment":
        body["scoring"] = {"max": 100, "nodes": [
            {"id": "overall", "label": _label("综合评价", "Overall"), "weight": 100,
             "rule": {"type": "manual"}}]}
    return body


def retarget(body: dict[str, Any], code: str, kind: str, unit: str, version: int = 1) -> dict:
    """A copy of a (cloned) form as a form of jurisdiction ``code``: id, version and unit."""
    copied = copy.deepcopy(dict(body))
    copied["id"] = f"{code}.{kind}"
    copied["version"] = version
    copied["unit"] = unit
    return copied


def with_milestones(body: dict[str, Any], months: Iterable[int], complete_by: int) -> dict:
    """A copy of a goal form whose spending plan has the given month-ends and deadline.

    The plan's own label and help are kept when it had one.
    """
    copied = copy.deepcopy(dict(body))
    plan = milestones(months, complete_by)
    old = copied.get("milestones") or {}
    for key in ("label", "help"):
        if old.get(key):
            plan[key] = old[key]
    copied["milestones"] = plan
    return copied
