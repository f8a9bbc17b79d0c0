"""The evaluation report (项目支出绩效评价报告) assembled from a project's forms.

Pure: no Flask, no database. The structure follows the Futian district union's
2022 report: basic information, the budget table (年初预算 / 年中增减 / 全年预算 /
预算执行 / 执行率), the goals against what was achieved, the scored indicator
system with suggested and final scores, the satisfaction survey, problems and
causes, recommendations. Whatever a form does not hold is printed as 「未填报」,
never a crash: a report is often printed half-way through the year.

Which field holds what is decided by field id (the packs share these ids); the
first id present in the self-evaluation wins, then the goal form, then the project.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from core.definitions.data import compute
from core.definitions.errors import DefinitionInvalid
from core.definitions.loader import load_definition
from core.definitions.values import parse_number
from core.i18n import label as _label
from core.reports.paper import money_text
from core.webforms.layout import indicator_layout
from core.selfeval.actuals import goal_actuals

MISSING = "未填报"

BUDGET_FIELDS = {
    "initial": ("budget_initial", "budget"),
    "adjustment": ("budget_adjustment",),
    "full_year": ("budget_full_year", "budget"),
    "executed": ("executed", "final_accounts"),
}
SATISFACTION_FIELDS = ("satisfaction_rate",)
SAMPLE_FIELDS = ("valid_questionnaires", "sample_size", "survey_responses")
# Report chapters drawn from text fields, in print order: (key, heading, candidate ids).
TEXT_CHAPTERS = (
    ("experience", "主要经验及做法", ("experience", "measures")),
    ("problems", "存在的问题及原因分析", ("problems", "deviations")),
    ("recommendations", "有关建议", ("recommendations", "improvements")),
)
GOAL_TEXT_FIELDS = ("performance_goals", "annual_goal", "medium_term_goal")
COMPLETION_FIELDS = ("goal_completion", "completion", "overview")


@dataclass
class BudgetLine:
    initial: str
    adjustment: str
    full_year: str
    executed: str
    rate: str


@dataclass
class GoalLine:
    l1: str | None  # printed with rowspan; None under a span
    l1_span: int
    l2: str | None
    l2_span: int
    name: str
    target: str
    actual: str


@dataclass
class Report:
    title: str
    subtitle: str
    project: dict
    basics: list[tuple[str, str]]
    unit: str
    budget: BudgetLine
    goal_texts: list[tuple[str, str]]
    completion: str
    goals: list[GoalLine]
    goals_missing: bool
    score_table: Any  # core.reports.scoring_table.ScoreTable or None
    conclusion: str
    survey: str
    chapters: list[tuple[str, str]]  # (heading, text), text MISSING when absent
    others: list[tuple[str, str]] = field(default_factory=list)


def _decimal(text: Any) -> Decimal | None:
    if text in (None, ""):
        return None
    try:
        return parse_number(str(text))
    except (InvalidOperation, ValueError):
        return None


def _first(fields: Mapping[str, Any], ids: tuple[str, ...]) -> tuple[str | None, Any]:
    for field_id in ids:
        value = fields.get(field_id)
        if value not in (None, ""):
            return field_id, value
    return None, None


def _with_computed(raw: Mapping | None, data: Mapping | None) -> dict[str, Any]:
    """The form's field values plus its computed values where no field of that id is filled:
    the national self-evaluation's 年度资金总额 is computed from its rows, never typed."""
    fields = dict((data or {}).get("fields") or {})
    if not raw or not raw.get("computed"):
        return fields
    try:
        computed = compute(load_definition(raw), data or {})
    except DefinitionInvalid:
        return fields
    for key, value in computed.items():
        if fields.get(key) in (None, "") and value is not None:
            fields[key] = value
    return fields


def _fields_by_id(raw: Mapping | None) -> dict[str, dict]:
    return {f["id"]: f for s in (raw or {}).get("sections", []) for f in s.get("fields", [])}


def budget_line(evaluation_fields: Mapping[str, Any], goal_fields: Mapping[str, Any],
                project_budget: Any) -> BudgetLine:
    """The budget table's one line; 执行率 = 预算执行 ÷ 全年预算."""
    init_id, initial = _first(evaluation_fields, BUDGET_FIELDS["initial"])
    if initial is None:
        _, initial = _first(goal_fields, ("budget_total",))
    if initial is None and project_budget not in (None, ""):
        initial = project_budget
    full_id, full = _first(evaluation_fields, BUDGET_FIELDS["full_year"])
    _, adjustment = _first(evaluation_fields, BUDGET_FIELDS["adjustment"])
    initial_d, full_d, adjustment_d = _decimal(initial), _decimal(full), _decimal(adjustment)
    if adjustment_d is None and initial_d is not None and full_d is not None and init_id and full_id \
            and init_id != full_id:
        adjustment_d = full_d - initial_d
    if full_d is None and initial_d is not None and adjustment_d is not None:
        full_d = initial_d + adjustment_d
    _, executed = _first(evaluation_fields, BUDGET_FIELDS["executed"])
    executed_d = _decimal(executed)
    rate = MISSING
    if executed_d is not None and full_d:
        rate = f"{(executed_d / full_d * 100).quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".") + "%"

    def money(value):
        return money_text(value) if value is not None else MISSING

    return BudgetLine(money(initial_d), money(adjustment_d), money(full_d), money(executed_d), rate)


def goal_lines(goal_raw: Mapping | None, goal_data: Mapping | None, actuals: Mapping[str, str],
               lang: str = "zh") -> list[GoalLine]:
    """The goal form's rows (一级 ▸ 二级 ▸ 三级, 指标值) with what was achieved."""
    if not goal_raw or not goal_data:
        return []
    lines: list[GoalLine] = []
    for block in indicator_layout(goal_raw, goal_data.get("indicators") or []):
        groups = [g for g in block["groups"] if g["rows"]]
        start = len(lines)
        for group in groups:
            g_start = len(lines)
            for _, row in group["rows"]:
                lines.append(GoalLine(None, 0, None, 0, str(row.get("name") or ""), str(row.get("target") or ""),
                                      actuals.get(row.get("id"), "") or MISSING))
            lines[g_start].l2, lines[g_start].l2_span = _label(group["child"].get("label"), lang), len(group["rows"])
        if len(lines) > start:
            lines[start].l1, lines[start].l1_span = _label(block["category"].get("label"), lang), len(lines) - start
    return lines


def _actuals(evaluation_data: Mapping | None) -> dict[str, str]:
    """Goal row id → actual value recorded on the self-evaluation."""
    return goal_actuals(evaluation_data)


def build_report(project: Mapping[str, Any], goal: tuple[Mapping, Mapping] | None,
                 evaluation: tuple[Mapping, Mapping] | None, score_table=None, lang: str = "zh") -> Report:
    """Assemble the report.

    :param project: ``name``, ``code``, ``year``, ``organization``, ``budget``.
    :param goal: ``(definition body, data)`` of the goal form (the approved revision
        the evaluation was built on, when there is one), or ``None``.
    :param evaluation: ``(definition body, data)`` of the self-evaluation, or ``None``.
    :param score_table: :func:`core.reports.scoring_table.build_score_table` of it.
    """
    goal_raw, goal_data = goal if goal else ({}, {})
    eval_raw, eval_data = evaluation if evaluation else ({}, {})
    goal_fields = (goal_data or {}).get("fields") or {}
    eval_fields = _with_computed(eval_raw, eval_data)
    eval_specs = _fields_by_id(eval_raw)
    goal_specs = _fields_by_id(goal_raw)

    basics = [("项目名称", project.get("name") or MISSING), ("项目编码", project.get("code") or MISSING),
              ("年度", str(project.get("year") or MISSING)), ("实施单位", project.get("organization") or MISSING)]
    shown = {"project_name", "year", "project_code", *SATISFACTION_FIELDS, *SAMPLE_FIELDS,
             *(i for ids in BUDGET_FIELDS.values() for i in ids)}
    for source, specs in ((eval_fields, eval_specs), (goal_fields, goal_specs)):
        for field_id, spec in specs.items():
            if field_id in shown or spec.get("type") not in ("text", "choice", "integer"):
                continue
            value = source.get(field_id)
            if value in (None, ""):
                continue
            if spec.get("choices"):
                value = next((_label(c.get("label"), lang) for c in spec["choices"] if c.get("value") == value), value)
            shown.add(field_id)
            basics.append((_label(spec.get("label"), lang), str(value)))

    goal_texts = [(_label(goal_specs[f].get("label"), lang), str(goal_fields.get(f) or MISSING))
                  for f in GOAL_TEXT_FIELDS if f in goal_specs]
    if not goal_texts:
        goal_texts = [("年度总体目标", MISSING)]
    _, completion = _first(eval_fields, COMPLETION_FIELDS)

    goals = goal_lines(goal_raw, goal_data, _actuals(eval_data), lang)

    if score_table is not None and evaluation:
        grade = f"，评价等级为「{score_table.grade}」" if score_table.grade else ""
        conclusion = f"经评价，「{project.get('name')}」项目总得分 {score_table.total} 分{grade}。"
        if score_table.problems:
            conclusion += f"（自评尚有 {len(score_table.problems)} 处未完成或有误，得分为暂计。）"
    else:
        conclusion = "自评表" + MISSING + "，尚无评价得分。"

    _, rate = _first(eval_fields, SATISFACTION_FIELDS)
    _, sample = _first(eval_fields, SAMPLE_FIELDS)
    if rate is not None:
        rate_d = parse_number(str(rate), percent=True)
        shown_rate = f"{rate_d.normalize():f}%" if rate_d is not None else str(rate)
        survey = (f"开展服务对象满意度调查，收到有效问卷 {sample} 份，满意度为 {shown_rate}。"
                  if sample is not None else f"服务对象满意度为 {shown_rate}（有效问卷数{MISSING}）。")
    else:
        survey = "满意度调查结果" + MISSING + "。"

    used = set(SATISFACTION_FIELDS) | set(SAMPLE_FIELDS) | set(COMPLETION_FIELDS)
    chapters = []
    for _key, heading, ids in TEXT_CHAPTERS:
        present = [i for i in ids if i in eval_specs]
        _, text = _first(eval_fields, ids)
        used.update(ids)
        if present or text is not None or _key != "experience":
            chapters.append((heading, str(text) if text is not None else MISSING))
    others = [(_label(spec.get("label"), lang), str(eval_fields.get(fid) or ""))
              for fid, spec in eval_specs.items()
              if spec.get("type") == "textarea" and fid not in used and eval_fields.get(fid)]

    return Report(
        title="项目支出绩效评价报告",
        subtitle=f"{project.get('year') or ''}年度 · {project.get('name') or ''}".strip(" ·"),
        project=dict(project), basics=basics, unit=(eval_raw or goal_raw or {}).get("unit") or "万元",
        budget=budget_line(eval_fields, goal_fields, project.get("budget")),
        goal_texts=goal_texts, completion=str(completion) if completion is not None else "",
        goals=goals, goals_missing=not goals, score_table=score_table if evaluation else None,
        conclusion=conclusion, survey=survey, chapters=chapters, others=others)
