"""The catalogue of scoring messages, one place for every sentence users read.

Each message names the indicator by its Chinese label (``「实际完成率」``) so a
problem can be understood without the JSON path; the path says where to fix it.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from core.definitions.errors import Problem
from core.scoring.values import fmt

MESSAGES: dict[str, str] = {
    # ---- definition (schema) problems
    "not_object": "须为对象（JSON object）",
    "not_list": "须为非空列表",
    "unknown_key": "未知的键「{key}」（可用：{known}）",
    "id_invalid": "编号「{id}」须由小写字母、数字和下划线组成，并以字母开头",
    "duplicate_id": "编号「{id}」重复（已用于 {first}）",
    "not_boolean": "「{label}」的 required 须为 true 或 false",
    "label_missing": "缺少中文名称（label.zh）",
    "weight_missing": "「{label}」缺少分值（weight）",
    "weight_invalid": "「{label}」的分值「{value}」须为不小于 0 的数字",
    "max_invalid": "满分（max）「{value}」须为大于 0 的数字",
    "sum_mismatch": "「{label}」的分值 {weight} 与其下级分值之和 {total} 不一致",
    "max_mismatch": "一级指标分值之和 {total} 与满分 {max} 不一致",
    "no_children": "「{label}」既没有下级指标（children）也没有评分规则（rule）",
    "children_and_rule": "「{label}」不能同时有下级指标（children）和评分规则（rule）",
    "from_goal_invalid": "「{label}」的 from_goal 须为 {{\"level1\": 一级指标编号}}",
    "rule_missing_type": "「{label}」的评分规则缺少类型（type）",
    "unknown_rule": "「{label}」的评分规则类型「{type}」未定义（可用：{known}）",
    "param_required": "「{label}」的评分规则「{type}」缺少参数「{param}」",
    "param_invalid": "「{label}」的评分规则「{type}」的参数「{param}」无效：{reason}",
    "expression_invalid": "「{label}」的表达式「{source}」有误（第 {position} 个字符）：{error}",
    "cap_invalid": "「{label}」的上限（cap）「{value}」须为不小于 0 的数字",
    "grades_order": "等级分数线须从高到低排列：{previous} 之后不能是 {current}",
    "grades_cover": "最低一档等级的分数线须不高于 0（当前为 {min}），否则低分没有等级",
    "grade_min_invalid": "等级分数线「{value}」须为数字",
    "not_instantiated": "「{label}」的指标须先由绩效目标表生成（instantiate_from_goal）",
    "goal_level_unknown": "「{label}」引用的一级指标「{level1}」不在绩效目标表的定义中（可用：{known}）",
    "goal_no_rows": "绩效目标表中没有「{level1}」下的指标行，无法生成「{label}」的评分指标",
    "goal_weights_mismatch": "「{label}」为各指标行给定的分值之和 {total} 与其分值 {weight} 不一致",
    # ---- filled-in evaluation problems
    "unknown_leaf": "录入内容中的编号 {id} 不是本评分表的评分指标",
    "computed_not_input": "「{label}」的得分由下级指标汇总计算，不能直接录入",
    "total_not_input": "「{what}」由系统计算，不能录入",
    "inputs_not_object": "「{label}」的录入内容须为对象（JSON object）",
    "unscored": "「{label}」尚未评分（缺少「{missing}」）",
    "not_a_number": "「{label}」的「{name}」值「{value}」不是数字",
    "not_yes_no": "「{label}」的「{name}」值「{value}」须为“是”或“否”",
    "count_invalid": "「{label}」的次数「{value}」须为不小于 0 的整数",
    "evaluation_failed": "「{label}」的{source}无法计算：{error}",
    "not_numeric_result": "「{label}」的{source}的结果「{value}」不是数字",
    "target_zero": "{name}为 {target}，无法计算{label}",
    "target_negative": "「{label}」的{name} {target} 不能为负数",
    "required_zero": "「{label}」的应完成数为 {required}，无法按比例计分",
    "target_unparsed": "「{label}」的目标值「{target}」无法解析：{error}",
    "actual_unparsed": "「{label}」的实际完成值「{value}」不是数值，无法与目标值「{target}」比较",
    "actual_restates_target": (
        "「{label}」的实际完成值「{value}」含比较符号，像是重复了目标值；请填写实际测得的数值（如 {example}）"
    ),
    "tier_required": "「{label}」是定性指标，须先选择达成档次（{known}）再录入最终得分",
    "unknown_tier": "「{label}」没有名为 {tier} 的档次（可选：{known}）",
    "unknown_item": "「{label}」没有编号为 {item} 的项目（可选：{known}）",
    "items_invalid": "「{label}」的核查项须为编号列表",
    "checked_and_missing": "「{label}」不能同时录入符合的项目和缺少的项目",
    "no_band": "「{label}」的值 {value} 不在任何扣分档内",
    "score_range": "「{label}」的得分 {value} 超出分值范围 [0, {weight}]",
    "final_range": "「{label}」的最终得分 {final} 超出分值范围 [0, {weight}]",
    "final_band": "「{label}」的最终得分 {final} 不在「{tier}」档的分值范围 {band} 内",
    "reason_required": "「{label}」的最终得分 {final} 与建议得分 {suggested} 不同，须填写调整理由",
    "deviation_reason_required": (
        "「{label}」的实际完成值 {actual} 达到目标值 {target} 的 {percent}%（≥{threshold}%），"
        "须填写偏差原因及整改措施"
    ),
    "hook_out_of_range": "插件为「{label}」给出的建议得分 {value} 超出分值范围 [0, {weight}]，已忽略",
    # ---- warnings (kept apart from problems; they do not block)
    "clamped": "「{label}」的公式结果 {value} 超出 [0, {weight}]，按 {clamped} 计",
    "unit_mismatch": "「{label}」的实际完成值「{actual}」与目标值「{target}」单位不同，请核对",
}


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: The values rules read by a generic name, as the filer sees them (messages and forms).
INPUT_LABELS: Mapping[str, Mapping[str, str]] = {
    "actual": {"zh": "实际完成值", "en": "Actual"},
    "target": {"zh": "目标值", "en": "Target"},
    "tier": {"zh": "达成档次", "en": "Tier"},
    "final": {"zh": "最终得分", "en": "Final score"},
    "reason": {"zh": "调整理由", "en": "Reason"},
    "deviation_reason": {"zh": "偏差原因及整改措施", "en": "Causes of the deviation and measures"},
    "checked": {"zh": "符合的项目", "en": "Items met"},
    "missing": {"zh": "缺少的项目", "en": "Items missing"},
    "count": {"zh": "发生次数", "en": "Occurrences"},
    "counts": {"zh": "各类事项的次数", "en": "Occurrences by kind"},
    "score": {"zh": "得分", "en": "Score"},
    "met": {"zh": "是否达到", "en": "Met"},
    "value": {"zh": "数值", "en": "Value"},
    "done": {"zh": "已完成数", "en": "Done"},
    "required": {"zh": "应完成数", "en": "Required"},
    "not_done": {"zh": "未完成数", "en": "Not done"},
    "expression": {"zh": "公式", "en": "Formula"},
    "condition": {"zh": "条件", "en": "Condition"},
}

#: Results the engine computes, named in the refusal to take them as inputs.
COMPUTED_LABELS: Mapping[str, str] = {
    "total": "总分", "grade": "等级", "base": "基础总分", "bonus": "加分",
    "deductions": "减分", "groups": "各级指标的汇总得分",
}


def value_label(name: str, own: Mapping[str, Any] | None = None,
                fields: Mapping[str, Any] | None = None) -> str | None:
    """The Chinese label of a value a rule reads, or ``None`` when nothing names it.

    Looked up in the rule's own ``input_labels``, then the form's field labels
    (``fields``: id → label, as passed to :func:`core.scoring.engine.score`), then the
    engine's generic :data:`INPUT_LABELS`. Messages never show the name itself.
    """
    for table in (own, fields, INPUT_LABELS):
        if table and name in table:
            text = zh(table[name]) if isinstance(table[name], Mapping) else table[name]
            if isinstance(text, str) and text.strip():
                return text
    return None


def describe_formula(source: Any, label_of) -> str:
    """「公式「全年执行数 ÷ 全年预算数 × 10」」for messages, or just 「公式」 when one of its
    names has no label (an internal name is never shown)."""
    text = getattr(source, "text", None)
    names = getattr(getattr(source, "expression", None), "names", None)
    if not text or names is None:
        return "公式"
    labels = {name: label_of(name) for name in names}
    if not all(labels.values()):
        return "公式"
    shown = _NAME.sub(lambda m: labels.get(m.group(0), m.group(0)), text)
    return "公式「" + shown.replace("*", "×").replace("/", "÷") + "」"


def message(code: str, **params: Any) -> str:
    """The message for ``code`` with its placeholders filled (numbers via :func:`fmt`)."""
    return MESSAGES[code].format(**{k: fmt(v) for k, v in params.items()})


def problem(path: str, code: str, **params: Any) -> Problem:
    """A :class:`Problem` at ``path`` with the catalogue message for ``code``."""
    return Problem(path=path, message=message(code, **params), code=code)


def zh(label: Mapping[str, str] | None, fallback: str = "") -> str:
    """The Chinese text of a label (``{"zh": …, "en": …}``), or ``fallback``."""
    if isinstance(label, Mapping) and isinstance(label.get("zh"), str):
        return label["zh"]
    return fallback
