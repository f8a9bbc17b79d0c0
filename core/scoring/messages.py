"""The catalogue of scoring messages, one place for every sentence users read.

Each message names the indicator by its Chinese label (``「实际完成率」``) so a
problem can be understood without the JSON path; the path says where to fix it.
"""
from __future__ import annotations

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
    "unknown_leaf": "「{id}」不是本评分表的评分指标",
    "computed_not_input": "「{label}」的得分由下级指标汇总计算，不能直接录入",
    "total_not_input": "「{id}」（总分、等级）由系统计算，不能录入",
    "inputs_not_object": "「{label}」的录入内容须为对象（JSON object）",
    "unscored": "「{label}」尚未评分（缺少「{missing}」）",
    "not_a_number": "「{label}」的「{name}」值「{value}」不是数字",
    "not_yes_no": "「{label}」的「{name}」值「{value}」须为“是”或“否”",
    "count_invalid": "「{label}」的次数「{value}」须为不小于 0 的整数",
    "evaluation_failed": "「{label}」的公式「{source}」无法计算：{error}",
    "not_numeric_result": "「{label}」的公式「{source}」的结果「{value}」不是数字",
    "target_zero": "「{label}」的目标值为 {target}，无法按比率计分",
    "target_negative": "「{label}」的目标值 {target} 不能为负数",
    "required_zero": "「{label}」的应完成数为 {required}，无法按比例计分",
    "target_unparsed": "「{label}」的目标值「{target}」无法解析：{error}",
    "actual_unparsed": "「{label}」的实际完成值「{value}」不是数值，无法与目标值「{target}」比较",
    "tier_required": "「{label}」是定性指标，须先选择达成档次（tier：{known}）再录入最终得分",
    "unknown_tier": "「{label}」的档次「{tier}」不存在（可选：{known}）",
    "unknown_item": "「{label}」的核查项「{item}」不存在（可选：{known}）",
    "items_invalid": "「{label}」的核查项须为编号列表",
    "checked_and_missing": "「{label}」不能同时录入符合项（checked）和缺少项（missing）",
    "no_band": "「{label}」的值 {value} 不在任何扣分档内",
    "score_range": "「{label}」的得分 {value} 超出分值范围 [0, {weight}]",
    "final_range": "「{label}」的最终得分 {final} 超出分值范围 [0, {weight}]",
    "final_band": "「{label}」的最终得分 {final} 不在「{tier}」档的分值范围 {band} 内",
    "reason_required": "「{label}」的最终得分 {final} 与建议得分 {suggested} 不同，须填写调整理由（reason）",
    "deviation_reason_required": (
        "「{label}」的实际完成值 {actual} 达到目标值 {target} 的 {percent}%（≥{threshold}%），"
        "须填写偏差原因及整改措施（deviation_reason）"
    ),
    "hook_out_of_range": "插件为「{label}」给出的建议得分 {value} 超出分值范围 [0, {weight}]，已忽略",
    # ---- warnings (kept apart from problems; they do not block)
    "clamped": "「{label}」的公式结果 {value} 超出 [0, {weight}]，按 {clamped} 计",
    "unit_mismatch": "「{label}」的实际完成值「{actual}」与目标值「{target}」单位不同，请核对",
}


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
