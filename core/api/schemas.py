"""Marshmallow schemas of the REST API: what it accepts and what it returns.

They are also the source of the OpenAPI document (:mod:`core.api.openapi`), so the
``metadata={"description": …}`` of a field is its documentation.

Input is JSON taken literally: ``"year": "2023"`` is not an integer and an unknown
key is an error, so a misspelt ``lock_versoin`` never passes silently. Error
messages are Chinese, each with a stable code (:func:`validation_errors`).
"""
from __future__ import annotations

import math
import re
from datetime import timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate

from core.api.errors import error_item

#: Submission kinds the API knows (the definition language's kinds).
SUBMISSION_KINDS = ("goal", "monitoring", "self_evaluation", "assessment", "survey", "ex_ante")
TRANSITION_NAMES = ("submit", "approve", "return", "adjust")
MAX_COMMENT = 4000


class Coded(str):
    """An error message that keeps its machine-readable code through marshmallow.

    marshmallow calls ``.format(**kwargs)`` on a message; the result stays ``Coded``.
    """

    code: str

    def __new__(cls, code: str, text: str) -> "Coded":
        obj = super().__new__(cls, text)
        obj.code = code
        return obj

    def format(self, *args: Any, **kwargs: Any) -> "Coded":  # noqa: A003 - str API
        try:
            text = str.format(self, *args, **kwargs)
        except (KeyError, IndexError):
            text = str(self)
        return Coded(self.code, text)


def _messages(invalid_code: str, invalid_text: str) -> dict:
    return {
        "required": Coded("required", "必填"),
        "null": Coded("null", "不能为 null"),
        "validator_failed": Coded("invalid", "取值无效"),
        "invalid": Coded(invalid_code, invalid_text),
    }


def _range(low: int, high: int) -> validate.Range:
    return validate.Range(min=low, max=high, error=Coded("range", "须在 {min} 到 {max} 之间，收到 {input}"))


def _length(low: int | None = None, high: int | None = None) -> validate.Length:
    if low:
        return validate.Length(min=low, max=high, error=Coded("length", "长度须在 {min} 到 {max} 个字符之间"))
    return validate.Length(max=high, error=Coded("too_long", "最长 {max} 个字符"))


def _one_of(choices) -> validate.OneOf:
    return validate.OneOf(choices, error=Coded("not_a_choice", "「{input}」不是可用的值，可用：{choices}"))


# --- fields -------------------------------------------------------------------------------

class Text(fields.String):
    default_error_messages = _messages("not_string", "必须是字符串")


class Integer(fields.Integer):
    """A JSON integer: ``3``, not ``3.5``, ``"3"`` or ``true``."""

    default_error_messages = {**_messages("not_integer", "必须是整数，收到「{input}」"),
                              "too_large": Coded("too_large", "数值过大")}

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", input=value)
        return value


class Flag(fields.Boolean):
    """``true`` or ``false`` (marshmallow's Boolean would also take ``"yes"`` and ``1``)."""

    default_error_messages = _messages("not_boolean", "必须是 true 或 false，收到「{input}」")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Money(fields.String):
    """An amount of money: a string such as ``"8.83"`` or ``"1,234.50"`` (a JSON number
    is accepted too); returned as a string with two decimals. Never a float."""

    default_error_messages = {**_messages("not_a_number", "必须是数字，收到「{input}」"),
                              "negative": Coded("negative", "不能为负数"),
                              "too_large": Coded("too_large", "数值过大")}
    #: What the server accepts, stated in the OpenAPI document (digits, thousands commas,
    #: up to two decimals below 10^15), so a client's generator never sends "" or "-1".
    PATTERN = r"^[0-9]{1,3}(,?[0-9]{3}){0,4}(\.[0-9]{1,2})?$"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metadata = {"pattern": self.PATTERN, **self.metadata}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        if isinstance(value, (int, Decimal)) or (isinstance(value, float) and math.isfinite(value)):
            text = str(value)
        elif isinstance(value, str) and re.fullmatch("-?" + self.PATTERN.strip("^$"), value.strip()):
            text = value.replace(",", "").strip()
        else:
            raise self.make_error("invalid", input=value)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise self.make_error("invalid", input=value) from None
        if not number.is_finite():
            raise self.make_error("invalid", input=value)
        if number < 0:
            raise self.make_error("negative")
        if number >= Decimal("1e15"):
            raise self.make_error("too_large")
        return number.quantize(Decimal("0.01"))

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else f"{Decimal(value):.2f}"


class JsonObject(fields.Dict):
    default_error_messages = _messages("not_object", "必须是 JSON 对象（{…}）")


class JsonList(fields.List):
    default_error_messages = _messages("not_list", "必须是列表（[…]）")


class Obj(fields.Nested):
    default_error_messages = {**_messages("not_object", "必须是 JSON 对象（{…}）"),
                              "type": Coded("not_object", "必须是 JSON 对象（{…}）")}


class ServerKept(fields.Raw):
    """Part of a form's data the server keeps (computed values, the scoring tree): a client
    may send back what it read, ``null`` included; it is ignored."""

    default_error_messages = _messages("invalid", "取值无效")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, load_default=None, **kwargs)


class UtcDateTime(fields.DateTime):
    """ISO 8601 with the offset; SQLite returns naive values, which are UTC here."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


def doc(text: str, **extra: Any) -> dict:
    return {"metadata": {"description": text, **extra}}


# --- base ---------------------------------------------------------------------------------

class ApiSchema(Schema):
    error_messages = {"unknown": Coded("unknown_key", "未知的键"),
                      "type": Coded("not_object", "必须是 JSON 对象（{…}）")}

    class Meta:
        unknown = RAISE
        ordered = True


def _flatten(errors: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(errors, Mapping):
        out = []
        for key, sub in errors.items():
            if key == "_schema":
                child = path
            elif isinstance(key, int):
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else str(key)
            out.extend(_flatten(sub, child))
        return out
    if isinstance(errors, (list, tuple)):
        return [item for message in errors for item in _flatten(message, path)]
    return [(path, errors)]


def validation_errors(error: ValidationError, prefix: str = "") -> list[dict]:
    """A marshmallow error dict as API error items with JSON paths."""
    return [error_item(path, str(message), getattr(message, "code", "invalid"))
            for path, message in _flatten(error.messages, prefix)]


# --- output: the error document -----------------------------------------------------------------

class ErrorItemSchema(ApiSchema):
    path = Text(**doc("出错的位置：请求体中的键（lock_version），或表单数据中的路径"
                      "（fields.budget_total、indicators[2].target）；针对整个请求时为空"))
    message = Text(**doc("错误说明（中文），说明在哪里、错在什么"))
    code = Text(**doc("稳定的错误代码，如 required、stale、not_found"))
    reference = Text(**doc("只在 500（code 为 internal_error）时给出：服务器日志中记录此错误的参考编号，请告知管理员"))


class ErrorSchema(ApiSchema):
    errors = JsonList(fields.Nested(ErrorItemSchema), **doc("一个或多个错误"))


# --- output: who am I ----------------------------------------------------------------------------

class MembershipSchema(ApiSchema):
    role = Text(**doc("角色：admin、filer、reviewer、leader"))
    organization_id = Integer(allow_none=True)
    organization = Text(allow_none=True, **doc("部门名称（按部门授权时）"))
    jurisdiction_id = Integer(allow_none=True)
    jurisdiction = Text(allow_none=True, **doc("辖区代码（按辖区授权时）"))


class MeSchema(ApiSchema):
    id = Integer()
    username = Text()
    display_name = Text()
    memberships = JsonList(fields.Nested(MembershipSchema))
    token = Text(**doc("当前令牌的名称"))


# --- definitions --------------------------------------------------------------------------------

class DefinitionSummarySchema(ApiSchema):
    id = Integer(**doc("定义的 id（每个版本一个）"))
    jurisdiction = Text(**doc("辖区代码"))
    kind = Text(**doc("表单种类：goal、self_evaluation …"))
    version = Integer(**doc("版本号；已发布的版本不会改变"))
    title = JsonObject(**doc("标题 {\"zh\", \"en\"}"))
    published_at = UtcDateTime(allow_none=True)


class DefinitionSchema(DefinitionSummarySchema):
    body = JsonObject(**doc("定义全文（见 docs/definitions.md）"))


class DefinitionListSchema(ApiSchema):
    items = JsonList(fields.Nested(DefinitionSummarySchema))


# --- projects -----------------------------------------------------------------------------------

class SubmissionRefSchema(ApiSchema):
    id = Integer()
    kind = Text()
    state = Text(**doc("draft、submitted、returned、approved、adjusting"))
    lock_version = Integer()


class ProjectSchema(ApiSchema):
    id = Integer()
    organization_id = Integer()
    organization = Text(**doc("填报部门名称"))
    jurisdiction = Text(**doc("辖区代码"))
    code = Text(**doc("项目编码"))
    name = Text(**doc("项目名称"))
    year = Integer(**doc("年度"))
    budget = Money(**doc("预算数，两位小数的字符串"))
    multi_year = Flag()
    end_year = Integer(allow_none=True)
    serves_public = Flag(**doc("面向社会公众或服务对象（须设满意度指标）"))
    created_at = UtcDateTime()
    submissions = JsonList(fields.Nested(SubmissionRefSchema), **doc("此项目的各张表及其状态"))


class ProjectListSchema(ApiSchema):
    items = JsonList(fields.Nested(ProjectSchema))
    page = Integer()
    per_page = Integer()
    total = Integer()


class ProjectCreateSchema(ApiSchema):
    organization_id = Integer(required=True, **doc("填报部门的 id（须是您可填报的部门）"))
    name = Text(required=True, validate=_length(1, 300), **doc("项目名称"))
    code = Text(load_default="", validate=_length(high=64), **doc("项目编码"))
    year = Integer(required=True, validate=_range(2000, 2100), **doc("年度"))
    budget = Money(required=True, **doc("预算数（字符串，如 \"8.83\"）"))
    multi_year = Flag(load_default=False)
    end_year = Integer(load_default=None, allow_none=True, validate=_range(2000, 2100))
    serves_public = Flag(load_default=True)


# --- submissions --------------------------------------------------------------------------------

class IndicatorRowSchema(ApiSchema):
    """A level-3 row; extra columns of a definition (``weight``, ``actual`` …) are kept."""

    class Meta:
        unknown = INCLUDE
        ordered = True

    id = Text(**doc("行 id；新行可省略，由服务器生成"))
    level1 = Text(**doc("一级指标 id（output、effect、satisfaction …）"))
    level2 = Text(**doc("二级指标 id（quantity、quality …）"))
    name = Text(**doc("三级指标"))
    description = Text(**doc("绩效指标描述"))
    target = Text(**doc("指标值，如 ≥98%"))
    basis = Text(**doc("指标值确定依据"))


class SubmissionDataSchema(ApiSchema):
    fields_ = JsonObject(data_key="fields", keys=fields.String(), **doc("字段 id → 取值（字符串）"))
    milestones = JsonObject(keys=fields.String(), **doc("资金支出计划：节点 id → 累计百分比"))
    indicators = JsonList(Obj(IndicatorRowSchema), **doc("绩效指标行"))
    scores = JsonObject(keys=fields.String(), **doc("自评表：末级指标 id → 评分输入"))
    actuals = JsonObject(keys=Text(), values=Text(allow_none=True),
                         **doc("自评表：目标行 id → 实际完成值（文本，如「95.39%」「2185人」）"))
    # Kept by the server: accepted so a client may send back what it read, then ignored.
    computed = ServerKept(**doc("计算值；由服务器计算，提交时忽略"))
    scoring = ServerKept(**doc("自评表的评分体系；由服务器保存，提交时忽略"))
    goal_revision_id = ServerKept(**doc("自评依据的目标表版本；由服务器保存，提交时忽略"))
    evidence = ServerKept(**doc("满意度调查等来源的佐证；由服务器保存，提交时忽略"))


class SubmissionSchema(ApiSchema):
    id = Integer()
    project_id = Integer()
    kind = Text()
    state = Text(**doc("draft、submitted、returned、approved、adjusting"))
    state_label = JsonObject(**doc("状态名称 {\"zh\", \"en\"}"))
    definition_id = Integer()
    definition_version = Integer()
    adjustment_no = Integer(**doc("已批复版本数；调整时为下一版本号"))
    lock_version = Integer(**doc("乐观锁版本号：保存或流转时原样带回，过期则 409"))
    data = JsonObject(**doc("表单数据（见 docs/definitions.md “Filled-in data”）"))
    findings = JsonList(JsonObject(), **doc("目标质量审查意见"))
    last_review = JsonObject(allow_none=True, **doc("最近一次审核：decision、comment、field_comments、created_at"))
    updated_at = UtcDateTime()
    problems = JsonList(fields.Nested(ErrorItemSchema),
                        **doc("当前数据的问题（草稿可以有问题，提交时须全部解决）"))


class DraftSchema(ApiSchema):
    data = Obj(SubmissionDataSchema, required=True, **doc("完整的表单数据（替换原有数据）"))
    lock_version = Integer(required=True, **doc("读取时得到的 lock_version"))


class TransitionSchema(ApiSchema):
    transition = Text(required=True, validate=_one_of(TRANSITION_NAMES),
                      **doc("submit（提交审核）、approve（审核通过）、return（退回修改）、adjust（申请调整）"))
    comment = Text(load_default="", validate=_length(high=MAX_COMMENT),
                   **doc("说明；退回和调整时必填"))
    field_comments = JsonObject(load_default=dict, keys=fields.String(),
                                values=Text(validate=_length(high=MAX_COMMENT)),
                                **doc("审核意见：数据路径（fields.purpose、indicators.<行 id>）→ 意见"))
    lock_version = Integer(load_default=None, allow_none=True, **doc("读取时得到的 lock_version（建议提供）"))


# --- scores and surveys -------------------------------------------------------------------------

class ScoreSchema(ApiSchema):
    project_id = Integer()
    submission_id = Integer()
    state = Text()
    result = JsonObject(**doc("评分结果：leaves、groups、total、grade、problems …（见 docs/scoring.md §9）"))


class SurveyResultSchema(ApiSchema):
    project_id = Integer()
    result = JsonObject(**doc("满意度调查结果"))
