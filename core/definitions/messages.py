"""The one catalogue of user-facing messages of the definition language.

Every message is a template with ``{name}`` placeholders, in Chinese (``zh``, the
default) and English (``en``). Code never builds a sentence itself: it names a key
and its parameters, and :func:`render` turns them into text in the reader's
language. The path (``sections[0].fields[3].type``) is not part of the message: it
is kept apart in :class:`~core.definitions.errors.Problem`.
"""
from __future__ import annotations

from typing import Any

from .errors import Problem

MESSAGES: dict[str, dict[str, str]] = {
    # --- JSON and structure (stage 1: the marshmallow schema) -----------------
    "json_syntax": {
        "zh": "第 {line} 行第 {column} 列：JSON 语法错误（{detail}）",
        "en": "line {line}, column {column}: JSON syntax error ({detail})",
    },
    "file_unreadable": {"zh": "无法读取文件：{detail}", "en": "cannot read the file: {detail}"},
    "required": {"zh": "缺少必填项「{name}」", "en": "missing required key “{name}”"},
    "null": {"zh": "「{name}」不能为 null", "en": "“{name}” may not be null"},
    "unknown_key": {"zh": "未知的键「{name}」", "en": "unknown key “{name}”"},
    "not_object": {"zh": "必须是对象（{{…}}）", "en": "must be an object ({{…}})"},
    "not_list": {"zh": "必须是列表（[…]）", "en": "must be a list ([…])"},
    "not_string": {"zh": "必须是字符串", "en": "must be a string"},
    "not_number": {"zh": "必须是数字，收到「{input}」", "en": "must be a number, got “{input}”"},
    "not_integer": {"zh": "必须是整数，收到「{input}」", "en": "must be an integer, got “{input}”"},
    "not_boolean": {"zh": "必须是 true 或 false，收到「{input}」",
                    "en": "must be true or false, got “{input}”"},
    "invalid": {"zh": "取值无效", "en": "invalid value"},
    "empty": {"zh": "不能为空", "en": "may not be empty"},
    "range": {"zh": "必须在 {min} 到 {max} 之间，收到 {input}",
              "en": "must be between {min} and {max}, got {input}"},
    "at_least": {"zh": "不能小于 {min}，收到 {input}", "en": "must be at least {min}, got {input}"},
    "bad_id": {"zh": "id「{input}」格式不对：只能用小写英文字母、数字和下划线，并以字母开头",
               "en": "id “{input}” is malformed: use lower-case letters, digits and _, starting with a letter"},
    "bad_definition_id": {"zh": "id「{input}」格式不对：只能用小写英文字母、数字、点、下划线和连字符",
                          "en": "id “{input}” is malformed: use lower-case letters, digits, . _ and -"},
    "unknown_type": {"zh": "未知的字段类型「{input}」，可用：{choices}",
                     "en": "unknown field type “{input}”; available: {choices}"},
    "unknown_kind": {"zh": "未知的表单种类「{input}」，可用：{choices}",
                     "en": "unknown form kind “{input}”; available: {choices}"},
    "unknown_unit": {"zh": "未知的金额单位「{input}」，可用：{choices}",
                     "en": "unknown money unit “{input}”; available: {choices}"},
    "unknown_role": {"zh": "未知的指标角色「{input}」，可用：{choices}",
                     "en": "unknown indicator role “{input}”; available: {choices}"},
    "unknown_format": {"zh": "未知的显示格式「{input}」，可用：{choices}",
                       "en": "unknown format “{input}”; available: {choices}"},
    "unknown_level": {"zh": "未知的级别「{input}」，可用：{choices}",
                      "en": "unknown level “{input}”; available: {choices}"},
    "unknown_prefill": {"zh": "未知的预填来源「{input}」，可用：{choices}",
                        "en": "unknown prefill source “{input}”; available: {choices}"},
    "bad_pattern": {"zh": "正则表达式无效：{detail}", "en": "invalid regular expression: {detail}"},
    # --- meaning (stage 3: semantic checks) ------------------------------------
    "duplicate_id": {"zh": "id「{id}」重复（已用于 {first}）", "en": "duplicate id “{id}” (already used at {first})"},
    "choices_missing": {"zh": "「{type}」类型的字段必须给出非空的 choices",
                        "en": "a field of type “{type}” needs a non-empty choices list"},
    "duplicate_choice": {"zh": "选项值「{value}」重复", "en": "duplicate choice value “{value}”"},
    "not_applicable": {"zh": "「{key}」不适用于「{type}」类型的字段",
                       "en": "“{key}” does not apply to a field of type “{type}”"},
    "min_above_max": {"zh": "min（{min}）大于 max（{max}）", "en": "min ({min}) is greater than max ({max})"},
    "unit_needed": {"zh": "表单含金额字段，须指定 unit（元 或 万元）",
                    "en": "the form has money fields, so it needs a unit (元 or 万元)"},
    "expression": {"zh": "表达式错误（第 {position} 个字符）：{detail}",
                   "en": "expression error (at character {position}): {detail}"},
    "expression_nopos": {"zh": "表达式错误：{detail}", "en": "expression error: {detail}"},
    "unknown_name": {"zh": "引用了不存在的字段「{name}」", "en": "refers to an unknown field “{name}”"},
    "months_order": {"zh": "月份必须在 1–12 之间且严格递增：{month} 月排在 {previous} 月之后",
                     "en": "months must be 1–12 and strictly ascending: month {month} follows month {previous}"},
    "complete_by_unknown": {"zh": "complete_by_month（{month}）必须是某个节点的月份：{months}",
                            "en": "complete_by_month ({month}) must be the month of a point: {months}"},
    "min_rows_unknown": {"zh": "「{key}」不是一级指标的 id", "en": "“{key}” is not the id of a level-1 category"},
    "weights_sum": {"zh": "下级分值之和为 {total}，与本级分值 {weight} 不一致",
                    "en": "the children's weights add up to {total}, not {weight}"},
    "scoring_unavailable": {"zh": "无法校验 scoring：{detail}", "en": "cannot validate scoring: {detail}"},
    "rows_missing": {"zh": "矩阵题必须给出非空的 rows（陈述列表）",
                     "en": "a matrix field needs a non-empty rows list (its statements)"},
    "scale_missing": {"zh": "问卷中的评分题至少需要两个计分选项（给出 score，或取值 5–1 对应 很满意–不满意）",
                      "en": "a rating in a survey needs at least two scored choices (a score, or values 5–1 for very satisfied–dissatisfied)"},
    # --- packs -------------------------------------------------------------------
    "form_missing": {"zh": "找不到表单文件「{file}」", "en": "form file “{file}” not found"},
    "kind_mismatch": {"zh": "表单种类为「{kind}」，但在 pack.json 中登记为「{key}」",
                      "en": "the form's kind is “{kind}” but pack.json lists it as “{key}”"},
    "unit_mismatch": {"zh": "表单金额单位「{unit}」与辖区金额单位「{money_unit}」不一致",
                      "en": "the form's unit “{unit}” differs from the pack's money unit “{money_unit}”"},
    "bands_order": {"zh": "等级下限必须从高到低排列：{min} 不低于上一档的 {previous}",
                    "en": "grade bands must go from high to low: {min} is not below {previous}"},
    "bands_floor": {"zh": "最后一档的下限必须是 0，否则有分数没有等级",
                    "en": "the last band must start at 0, or some scores get no grade"},
    "bad_severity": {"zh": "规则级别「{input}」无效，可用：{choices}",
                     "en": "invalid rule level “{input}”; available: {choices}"},
    # --- filled-in data ------------------------------------------------------------
    "data_not_object": {"zh": "提交的数据必须是对象", "en": "the submitted data must be an object"},
    "value_not_text": {"zh": "「{label}」的值必须是文本", "en": "the value of “{label}” must be text"},
    "field_required": {"zh": "请填写「{label}」", "en": "please fill in “{label}”"},
    "not_a_number": {"zh": "「{label}」必须是数字，收到「{value}」", "en": "“{label}” must be a number, got “{value}”"},
    "not_an_integer": {"zh": "「{label}」必须是整数，收到「{value}」", "en": "“{label}” must be a whole number, got “{value}”"},
    "negative": {"zh": "{label}不能为负数", "en": "{label} may not be negative"},
    "below_min": {"zh": "「{label}」不能小于 {min}，收到 {value}", "en": "“{label}” must be at least {min}, got {value}"},
    "above_max": {"zh": "「{label}」不能大于 {max}，收到 {value}", "en": "“{label}” must be at most {max}, got {value}"},
    "too_long": {"zh": "「{label}」最多 {max} 个字，现有 {length} 个字",
                 "en": "“{label}” allows at most {max} characters, got {length}"},
    "pattern_mismatch": {"zh": "「{label}」格式不对：「{value}」", "en": "“{label}” has the wrong format: “{value}”"},
    "not_a_choice": {"zh": "「{label}」不能选「{value}」，可选：{choices}",
                     "en": "“{label}” cannot be “{value}”; choose from: {choices}"},
    "matrix_not_object": {"zh": "「{label}」的答案必须是「陈述 → 选项」的对应",
                          "en": "the answer to “{label}” must map each statement to a choice"},
    "matrix_incomplete": {"zh": "「{label}」还有 {count} 项没有选择：{rows}",
                          "en": "“{label}”: {count} statement(s) not answered: {rows}"},
    "unknown_matrix_row": {"zh": "「{label}」没有「{value}」这一项", "en": "“{label}” has no statement “{value}”"},
    "not_yes_no": {"zh": "「{label}」只能填「是」或「否」，收到「{value}」",
                   "en": "“{label}” must be yes or no, got “{value}”"},
    "not_a_date": {"zh": "「{label}」不是有效日期：「{value}」（请用 2023-08-31 的格式）",
                   "en": "“{label}” is not a valid date: “{value}” (use 2023-08-31)"},
    "expression_failed": {"zh": "无法计算「{label}」：{detail}", "en": "cannot compute “{label}”: {detail}"},
    "milestones_missing": {"zh": "请填写「{label}」", "en": "please fill in “{label}”"},
    "milestone_not_percent": {"zh": "「{point}」必须是百分比数字，收到「{value}」",
                              "en": "“{point}” must be a percentage, got “{value}”"},
    "milestone_range": {"zh": "「{point}」的累计比例必须在 0–100% 之间，收到 {value}%",
                        "en": "“{point}” must be between 0 and 100%, got {value}%"},
    "milestone_decreasing": {"zh": "{point}的累计比例 {value}% 低于 {previous}的 {previous_value}%",
                             "en": "{point}: the cumulative share {value}% is below {previous}'s {previous_value}%"},
    "milestone_incomplete": {"zh": "支出计划须在 {point} 前达到 100%",
                             "en": "the spending plan must reach 100% by {point}"},
    "indicators_not_list": {"zh": "绩效指标必须是行的列表", "en": "the indicators must be a list of rows"},
    "row_not_object": {"zh": "每一行必须是对象", "en": "each row must be an object"},
    "unknown_level1": {"zh": "未知的一级指标「{value}」，可用：{choices}",
                       "en": "unknown level-1 category “{value}”; available: {choices}"},
    "unknown_level2": {"zh": "未知的二级指标「{value}」", "en": "unknown level-2 category “{value}”"},
    "level2_not_child": {"zh": "「{level2}」不属于「{level1}」", "en": "“{level2}” does not belong to “{level1}”"},
    "row_cell_required": {"zh": "请填写「{column}」", "en": "please fill in “{column}”"},
    "target_unparseable": {"zh": "指标值「{value}」无法识别（第 {position} 个字符）：{detail}",
                           "en": "target “{value}” cannot be understood (at character {position}): {detail}"},
    "duplicate_row": {"zh": "行 id「{id}」重复", "en": "duplicate row id “{id}”"},
    "too_few_rows": {"zh": "「{category}」至少需要 {min} 行，现有 {count} 行",
                     "en": "“{category}” needs at least {min} rows, has {count}"},
    "weight_not_number": {"zh": "分值必须是不小于 0 的数字，收到「{value}」",
                          "en": "the weight must be a number ≥ 0, got “{value}”"},
}


class _Params(dict):
    """Leaves an unknown placeholder visible instead of raising: a missing
    parameter must never turn a validation message into a crash."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(key: str, lang: str = "zh", /, **params: Any) -> str:
    """Render message ``key`` in ``lang`` (falls back to Chinese) with ``params``."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["zh"]
    return template.format_map(_Params(params))


def problem(path: str, key: str, lang: str = "zh", /, **params: Any) -> Problem:
    """A :class:`Problem` at ``path`` whose message is catalogue entry ``key``."""
    return Problem(path, render(key, lang, **params), key)


class Msg(str):
    """A message key with parameters, rendered later in the reader's language.

    It subclasses ``str`` so that marshmallow stores it unchanged in its error dict;
    marshmallow calls ``.format(**kwargs)`` on messages, which here only records
    the keyword arguments (``input``, ``min``, ``choices``…) as parameters.
    """

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, **params: Any) -> "Msg":
        obj = super().__new__(cls, key)
        obj.key = key
        obj.params = params
        return obj

    def format(self, *args: Any, **kwargs: Any) -> "Msg":  # noqa: A003 - str API
        return Msg(self.key, **{**self.params, **kwargs})

    def render(self, lang: str = "zh", **extra: Any) -> str:
        """The message in ``lang``; ``extra`` fills placeholders the schema cannot know."""
        return render(self.key, lang, **{**extra, **self.params})
