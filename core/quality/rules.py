"""Goal-quality review rules (绩效目标质量审核).

Each rule is a checklist item a finance reviewer applies by hand today; the seeds
name them: the Futian evaluation report, section 六 (problems found in its own
goals) and 七.四 (satisfaction indicator required), Shijiazhuang rules §12 (goals
must be measurable) and §13 (values set from plans, standards, history). See
``../shared/DOMAIN.md`` §3.

Rules are data (:class:`QualityRule`) so that a jurisdiction admin can switch each
one off or choose its severity; :func:`review` applies those settings. Everything
here is pure Python: a definition (dict), the filled data (dict) and a context
dict in, a list of :class:`Finding` out.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator

from core.definitions.targets import Target, TargetParseError, parse_target

__all__ = [
    "Finding",
    "QualityRule",
    "KeywordHint",
    "CATEGORY_KEYWORDS",
    "BUILTIN_RULES",
    "SEVERITIES",
    "review",
    "row_role",
]

SEVERITIES = ("off", "warning", "error")

#: Roles of the effect family (效益指标); any of them counts as "an effect indicator".
EFFECT_ROLES = frozenset({"effect", "economic", "social", "ecological", "sustainable"})


@dataclass(frozen=True)
class Finding:
    """One goal-quality problem at one place of the filled form."""

    rule: str
    path: str
    row_id: str | None
    message: dict
    severity: str = "warning"


@dataclass(frozen=True)
class QualityRule:
    """A review rule; ``check(definition, data, context)`` returns its findings."""

    id: str
    label: dict
    description: dict
    default_severity: str
    check: Callable[[dict, dict, dict], list[Finding]]


# --------------------------------------------------------------------------------
# Rows and their roles

@dataclass(frozen=True)
class _Row:
    index: int
    row: dict
    id: str | None
    name: str
    role: str | None
    category: dict | None   # the level-2 category of the definition (for its label)

    @property
    def path(self) -> str:
        return f"indicators[{self.index}]"

    @property
    def target_text(self) -> str:
        return _text(self.row.get("target"))


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _categories(definition: dict) -> list[dict]:
    tree = definition.get("indicator_tree") if isinstance(definition, dict) else None
    categories = tree.get("categories") if isinstance(tree, dict) else None
    return [c for c in categories if isinstance(c, dict)] if isinstance(categories, list) else []


def _matches(category: dict, key: str) -> bool:
    # Rows reference categories by id; a row imported from a spreadsheet may carry
    # the Chinese label instead, so accept that too.
    label = category.get("label")
    return category.get("id") == key or (isinstance(label, dict) and label.get("zh") == key)


def _lookup(definition: dict, level1: str, level2: str) -> tuple[str | None, dict | None]:
    for parent in _categories(definition):
        if not _matches(parent, level1):
            continue
        for child in parent.get("children") or []:
            if isinstance(child, dict) and _matches(child, level2):
                return child.get("role") or parent.get("role"), child
        return None, None
    return None, None


def row_role(definition: dict, row: dict) -> str | None:
    """The role of a row's level-2 category; a child without a role takes its parent's."""
    return _lookup(definition, _text(row.get("level1")), _text(row.get("level2")))[0]


def _rows(definition: dict, data: dict) -> Iterator[_Row]:
    rows = data.get("indicators") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        return
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        role, category = _lookup(definition, _text(row.get("level1")), _text(row.get("level2")))
        row_id = row.get("id")
        yield _Row(index=index, row=row, id=_text(row_id) if row_id is not None else None,
                   name=_text(row.get("name")).strip(), role=role, category=category)


@lru_cache(maxsize=2048)
def _parse(text: str) -> Target | TargetParseError:
    """Parse once per distinct text; the error is returned, not raised, so rules can share it."""
    try:
        return parse_target(text)
    except TargetParseError as error:
        return error


def _target(row: _Row) -> Target | None:
    parsed = _parse(row.target_text)
    return parsed if isinstance(parsed, Target) else None


def _named(row: _Row) -> str:
    return f"「{row.name}」" if row.name else f"第 {row.index + 1} 行指标"


def _named_en(row: _Row) -> str:
    return f"'{row.name}'" if row.name else f"indicator row {row.index + 1}"


def _finding(rule: str, row: _Row, field: str, zh: str, en: str) -> Finding:
    return Finding(rule=rule, path=f"{row.path}.{field}", row_id=row.id, message={"zh": zh, "en": en})


# Role names used in messages when the definition has no category with that role.
_ROLE_LABELS = {
    "quantity": ("数量指标", "quantity"),
    "quality": ("质量指标", "quality"),
    "timeliness": ("时效指标", "timeliness"),
    "cost": ("成本指标", "cost"),
    "effect": ("效益指标", "effect"),
    "economic": ("经济效益指标", "economic benefit"),
    "social": ("社会效益指标", "social benefit"),
    "ecological": ("生态效益指标", "ecological benefit"),
    "sustainable": ("可持续影响指标", "sustainable impact"),
    "satisfaction": ("满意度指标", "satisfaction"),
}


def _role_label(definition: dict, role: str) -> tuple[str, str]:
    """(zh, en) name of the category that has ``role`` in this definition."""
    for parent in _categories(definition):
        for child in parent.get("children") or []:
            if isinstance(child, dict) and (child.get("role") or parent.get("role")) == role:
                return _label_pair(child.get("label"), role)
    return _ROLE_LABELS.get(role, (role, role))


def _label_pair(label: object, role: str | None) -> tuple[str, str]:
    fallback = _ROLE_LABELS.get(role or "", ("", ""))
    if isinstance(label, dict) and label.get("zh"):
        return label["zh"], label.get("en") or fallback[1] or label["zh"]
    return fallback


# --------------------------------------------------------------------------------
# The rules

def check_upper_bound_quantity(definition: dict, data: dict, context: dict) -> list[Finding]:
    """A quantity target that only caps (``< 2208 人``) says nothing about what to deliver."""
    findings = []
    for row in _rows(definition, data):
        target = _target(row)
        if row.role != "quantity" or target is None or not target.is_upper_bound_only:
            continue
        amount = f"{_plain(target.value)}{target.unit or ''}"
        findings.append(_finding(
            "upper_bound_quantity", row, "target",
            f"{_named(row)}的指标值「{target.raw}」只有上限，不能说明必须完成多少（福田评价报告 六.一）。"
            f"数量指标请写下限或确定值，例如「≥{amount}」或「{amount}」，并依据最新统计数据确定。",
            f"The target '{target.raw}' of {_named_en(row)} is only an upper bound and does not say "
            f"what must be achieved (Futian report, section 6.1). Write a lower bound or an exact "
            f"value for a quantity indicator, e.g. '≥{amount}'.",
        ))
    return findings


def check_vague_timeliness(definition: dict, data: dict, context: dict) -> list[Finding]:
    """A timeliness target such as ``及时`` or ``按月支付`` names no date or rate."""
    findings = []
    for row in _rows(definition, data):
        target = _target(row)
        if row.role != "timeliness" or target is None or not target.qualitative:
            continue
        findings.append(_finding(
            "vague_timeliness", row, "target",
            f"时效指标{_named(row)}的指标值「{target.raw}」是定性表述，没有细化到时间节点"
            "（福田评价报告 六.二）。请写成截止日期或比例，例如「8月31日前」或「≥95%」。",
            f"The timeliness target '{target.raw}' of {_named_en(row)} is not refined to a date or "
            "deadline (Futian report, section 6.2). Write a deadline or a rate, e.g. '8月31日前' "
            "(by 31 August) or '≥95%'.",
        ))
    return findings


def check_qualitative_effect(definition: dict, data: dict, context: dict) -> list[Finding]:
    """An effect (benefit) target such as ``有效`` cannot be measured."""
    findings = []
    for row in _rows(definition, data):
        target = _target(row)
        if row.role not in EFFECT_ROLES or target is None or not target.qualitative:
            continue
        findings.append(_finding(
            "qualitative_effect", row, "target",
            f"效益指标{_named(row)}的指标值「{target.raw}」只是定性表述，难以衡量（福田评价报告 六.三；"
            "石家庄办法第十二条：便于衡量）。请尽量量化，例如「≥90%」；确实不能量化时，写明可检验的标准。",
            f"The effect target '{target.raw}' of {_named_en(row)} is qualitative only and cannot be "
            "measured (Futian report, section 6.3; Shijiazhuang rules art. 12). Quantify it, e.g. "
            "'≥90%', or state a verifiable standard.",
        ))
    return findings


def check_target_not_a_value(definition: dict, data: dict, context: dict) -> list[Finding]:
    """A target that is free text, not a value (``在档管理困难职工及劳模`` names the beneficiaries)."""
    findings = []
    for row in _rows(definition, data):
        target = _target(row)
        if target is None or not target.qualitative or target.recognized:
            continue
        example = "≥50 人" if row.role == "quantity" else "≥90%"
        findings.append(_finding(
            "target_not_a_value", row, "target",
            f"{_named(row)}的指标值「{target.raw}」不是目标值，看起来是对象或说明文字（石家庄办法第十二条：便于衡量）。"
            f"请写出可衡量的值，例如「{example}」；说明文字请写入「绩效指标描述」。",
            f"The target '{target.raw}' of {_named_en(row)} is not a value; it reads like a "
            f"description of who or what (Shijiazhuang rules art. 12: measurable). Write a value, "
            f"e.g. '{example}', and move the text to the description.",
        ))
    return findings


@dataclass(frozen=True)
class KeywordHint:
    """A word in an indicator name that suggests the category it belongs to.

    ``at_end``: the keyword counts only at the end of the name (体检费, not 免费体检).
    ``money_unit``: counts only when the target's unit is money (救助标准 200 元).
    """

    keyword: str
    role: str
    at_end: bool = False
    money_unit: bool = False


#: Keywords → the category they suggest. Deliberately short: a keyword must be
#: specific enough that filing the row elsewhere is probably a mistake. Generic
#: words (影响, 效率, 保障, 金额, 人数 under effect …) are left out to avoid noise.
CATEGORY_KEYWORDS: tuple[KeywordHint, ...] = (
    KeywordHint("准确", "quality"),
    KeywordHint("合格", "quality"),
    KeywordHint("达标率", "quality"),
    KeywordHint("质量", "quality"),
    KeywordHint("验收", "quality"),
    KeywordHint("差错", "quality"),
    KeywordHint("及时", "timeliness"),
    KeywordHint("时效", "timeliness"),
    KeywordHint("进度", "timeliness"),
    KeywordHint("时限", "timeliness"),
    KeywordHint("按时", "timeliness"),
    KeywordHint("成本", "cost"),
    KeywordHint("费用", "cost"),
    KeywordHint("费", "cost", at_end=True),
    KeywordHint("单价", "cost"),
    KeywordHint("标准", "cost", money_unit=True),
    KeywordHint("满意", "satisfaction"),
    KeywordHint("投诉", "satisfaction"),
    KeywordHint("生态", "ecological"),
    KeywordHint("环境", "ecological"),
    KeywordHint("绿化", "ecological"),
    KeywordHint("节能", "ecological"),
    KeywordHint("排放", "ecological"),
    KeywordHint("污染", "ecological"),
    KeywordHint("能耗", "ecological"),
    KeywordHint("人数", "quantity"),
    KeywordHint("次数", "quantity"),
    KeywordHint("数量", "quantity"),
)

_MONEY_UNITS = ("元", "万", "亿")


def _suggested_roles(name: str, target: Target | None) -> list[KeywordHint]:
    unit = (target.unit or "") if target else ""
    hints = []
    for hint in CATEGORY_KEYWORDS:
        if hint.at_end:
            found = name.endswith(hint.keyword)
        else:
            found = hint.keyword in name
        if found and hint.money_unit and not unit.startswith(_MONEY_UNITS):
            found = False
        if found:
            hints.append(hint)
    return hints


def _role_fits(filed: str, suggested: str) -> bool:
    if filed == suggested:
        return True
    # A generic 效益指标 category (role effect) accepts every effect sub-role, but
    # an ecological keyword under 社会效益 is still a mismatch.
    return filed == "effect" and suggested in EFFECT_ROLES


def check_category_mismatch(definition: dict, data: dict, context: dict) -> list[Finding]:
    """The name suggests another category than the one the row is filed under.

    A row is flagged only when its name has keywords and *none* of them fits the
    filed category (区退休职工的投诉次数 has 次数 and 投诉, and 投诉 fits 满意度).
    """
    findings = []
    for row in _rows(definition, data):
        if not row.role or not row.name:
            continue
        hints = _suggested_roles(row.name, _target(row))
        if not hints or any(_role_fits(row.role, hint.role) for hint in hints):
            continue
        hint = hints[0]
        filed_zh, filed_en = _label_pair(row.category.get("label") if row.category else None, row.role)
        expected_zh, expected_en = _role_label(definition, hint.role)
        role_en = _ROLE_LABELS.get(hint.role, (hint.role, hint.role))[1]
        findings.append(_finding(
            "category_mismatch", row, "level2",
            f"{_named(row)}归在「{filed_zh}」下，但名称看起来是{_ROLE_LABELS[hint.role][0]}"
            f"（关键词「{hint.keyword}」）。请核对是否应归入「{expected_zh}」。",
            f"{_named_en(row)} is filed under '{filed_en}' but looks like a {role_en} indicator "
            f"(keyword '{hint.keyword}'). Check whether it belongs under '{expected_en}'.",
        ))
    return findings


def check_missing_satisfaction(definition: dict, data: dict, context: dict) -> list[Finding]:
    """A project serving the public must have a satisfaction indicator (Futian 七.四)."""
    if not (context or {}).get("serves_public"):
        return []
    if any(row.role == "satisfaction" for row in _rows(definition, data)):
        return []
    label_zh, label_en = _role_label(definition, "satisfaction")
    return [Finding(
        rule="missing_satisfaction", path="indicators", row_id=None,
        message={
            "zh": "本项目直接面向公众提供服务，但没有设置满意度指标（福田评价报告 七.四：面向社会公众提供"
                  f"公共服务的项目必须设置满意度绩效指标）。请在「{label_zh}」下增加针对本项目的服务对象满意度，"
                  "例如「≥90%」，依据为调查问卷。",
            "en": "This project serves the public but has no satisfaction indicator (Futian report, "
                  f"section 7.4: such projects must have one). Add a beneficiary satisfaction row under "
                  f"'{label_en}', e.g. '≥90%', measured by a survey about this project.",
        },
    )]


def check_missing_basis(definition: dict, data: dict, context: dict) -> list[Finding]:
    """Every value needs its basis (指标值确定依据; Shijiazhuang §13: plans, standards, history).

    Forms whose table has no basis column (Futian's 表1-2) are not asked for one.
    """
    columns = (definition.get("indicator_tree") or {}).get("columns")
    if columns and not any(c.get("id") == "basis" for c in columns):
        return []
    findings = []
    for row in _rows(definition, data):
        if _text(row.row.get("basis")).strip():
            continue
        findings.append(_finding(
            "missing_basis", row, "basis",
            f"{_named(row)}没有填写指标值确定依据。请写明依据，例如「文件要求」「调查问卷」「财务制度」"
            "或历史数据（石家庄办法第十三条）。",
            f"{_named_en(row)} has no basis for its target value. State it, e.g. a policy document, "
            "a survey, financial rules or historical data (Shijiazhuang rules art. 13).",
        ))
    return findings


_SPACES = re.compile(r"\s+")


def check_duplicate_indicator(definition: dict, data: dict, context: dict) -> list[Finding]:
    """The same name twice in one level-2 category; the second (and later) row is flagged."""
    findings = []
    first_seen: dict[tuple[str, str, str], _Row] = {}
    for row in _rows(definition, data):
        name = _SPACES.sub("", row.name)
        if not name:
            continue
        key = (_text(row.row.get("level1")), _text(row.row.get("level2")), name)
        first = first_seen.setdefault(key, row)
        if first is row:
            continue
        category_zh, category_en = _label_pair(row.category.get("label") if row.category else None,
                                               row.role)
        category_zh = category_zh or _text(row.row.get("level2"))
        category_en = category_en or _text(row.row.get("level2"))
        findings.append(_finding(
            "duplicate_indicator", row, "name",
            f"{_named(row)}在「{category_zh}」下重复出现（与第 {first.index + 1} 行同名）。请合并为一个指标，"
            "或改名以区分。",
            f"{_named_en(row)} appears twice under '{category_en}' (same name as row "
            f"{first.index + 1}). Merge the rows or rename one.",
        ))
    return findings


def check_unparseable_target(definition: dict, data: dict, context: dict) -> list[Finding]:
    """A target the parser rejects; the finding carries the parser's own explanation."""
    findings = []
    for row in _rows(definition, data):
        parsed = _parse(row.target_text)
        if not isinstance(parsed, TargetParseError):
            continue
        shown = row.target_text.strip()
        if len(shown) > 30:
            shown = shown[:30] + "…"
        findings.append(_finding(
            "unparseable_target", row, "target",
            f"{_named(row)}的指标值「{shown}」无法识别：{parsed.message}",
            f"The target '{shown}' of {_named_en(row)} cannot be read: {parsed.message}",
        ))
    return findings


def _plain(value: object) -> str:
    text = format(value, "f") if value is not None else ""
    return text.rstrip("0").rstrip(".") if "." in text else text


def _cite(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


BUILTIN_RULES: tuple[QualityRule, ...] = (
    QualityRule(
        id="upper_bound_quantity",
        label=_cite("数量指标只有上限", "Quantity target is only an upper bound"),
        description=_cite(
            "数量指标的指标值只有上限（如「< 2208 人」），不能体现必须完成多少。福田评价报告 六.一 将其列为问题。",
            "A quantity indicator whose target is only an upper bound (e.g. '< 2208 人') does "
            "not express what must be achieved; the Futian evaluation report (section 6.1) lists "
            "this as a defect.",
        ),
        default_severity="warning",
        check=check_upper_bound_quantity,
    ),
    QualityRule(
        id="vague_timeliness",
        label=_cite("时效指标未细化到时间节点", "Timeliness target has no date"),
        description=_cite(
            "时效指标写成「及时」「按月支付」等定性表述，未细化到时间节点。福田评价报告 六.二 建议改为「8月31日前」。",
            "A timeliness indicator with a qualitative target ('及时' timely, '按月支付' paid "
            "monthly) instead of a deadline or rate; the Futian report (section 6.2) suggests "
            "'8月31日前' (by 31 August).",
        ),
        default_severity="warning",
        check=check_vague_timeliness,
    ),
    QualityRule(
        id="qualitative_effect",
        label=_cite("效益指标只有定性表述", "Effect target is qualitative only"),
        description=_cite(
            "效益指标（经济、社会、生态、可持续影响）的指标值只有「有效」等定性表述，可衡量性不足。"
            "依据：福田评价报告 六.三；石家庄办法第十二条「便于衡量」。",
            "An effect indicator (economic, social, ecological, sustainable) with a qualitative "
            "target such as '有效' (effective) is not measurable. Sources: Futian report section "
            "6.3; Shijiazhuang rules art. 12 (goals must be measurable).",
        ),
        default_severity="warning",
        check=check_qualitative_effect,
    ),
    QualityRule(
        id="target_not_a_value",
        label=_cite("指标值不是目标值", "Target is not a value"),
        description=_cite(
            "指标值是对象或说明文字（如博野县「在档管理困难职工及劳模」「劳务派遣人员」），不是可比较的目标值。"
            "依据：石家庄办法第十二条「便于衡量」。",
            "The target is free text naming people or things (Boye: '在档管理困难职工及劳模', "
            "'劳务派遣人员'), not a value that can be compared. Source: Shijiazhuang rules art. 12.",
        ),
        default_severity="warning",
        check=check_target_not_a_value,
    ),
    QualityRule(
        id="category_mismatch",
        label=_cite("指标归类可能有误", "Indicator may be in the wrong category"),
        description=_cite(
            "指标名称中的关键词提示另一个类别（如博野县把「结果准确性」归在生态效益指标下，看起来是质量指标）。",
            "A keyword in the indicator name suggests another category (Boye files "
            "'结果准确性' (accuracy of results) under ecological benefit; it looks like a "
            "quality indicator).",
        ),
        default_severity="warning",
        check=check_category_mismatch,
    ),
    QualityRule(
        id="missing_satisfaction",
        label=_cite("缺少满意度指标", "No satisfaction indicator"),
        description=_cite(
            "直接面向社会公众提供服务的项目必须设置满意度绩效指标（福田评价报告 七.四）。",
            "A project that serves the public must have a satisfaction indicator (Futian report, "
            "section 7.4).",
        ),
        default_severity="warning",
        check=check_missing_satisfaction,
    ),
    QualityRule(
        id="missing_basis",
        label=_cite("缺少指标值确定依据", "No basis for the target value"),
        description=_cite(
            "指标值确定依据为空。指标值要依据计划标准、行业标准、历史水平等设定（石家庄办法第十三条）。",
            "The basis of the target value is empty; targets must be set from plans, industry "
            "standards or history (Shijiazhuang rules art. 13).",
        ),
        default_severity="warning",
        check=check_missing_basis,
    ),
    QualityRule(
        id="duplicate_indicator",
        label=_cite("指标重复", "Duplicate indicator"),
        description=_cite(
            "同一二级指标下出现同名的三级指标。石家庄办法第十二条要求数量适当、重点突出。",
            "Two level-3 indicators with the same name in one level-2 category; Shijiazhuang "
            "rules art. 12 ask for few, key indicators.",
        ),
        default_severity="warning",
        check=check_duplicate_indicator,
    ),
    QualityRule(
        id="unparseable_target",
        label=_cite("指标值无法识别", "Target value cannot be read"),
        description=_cite(
            "指标值无法解析（空白、比较符号后没有数字、两个比较符号、区间、负数等），无法用于监控和评分。",
            "The target value cannot be parsed (empty, a comparator without a number, two "
            "comparators, a range, a negative number…), so it cannot be monitored or scored.",
        ),
        default_severity="error",
        check=check_unparseable_target,
    ),
)


_ROW_INDEX = re.compile(r"^indicators\[(\d+)\]")


def _row_order(finding: Finding) -> int:
    # Whole-form findings (no row) come first: they concern the form as a whole.
    match = _ROW_INDEX.match(finding.path)
    return int(match.group(1)) if match else -1


def review(definition: dict, data: dict, context: dict, settings: dict[str, str],
           rules: tuple[QualityRule, ...] = BUILTIN_RULES) -> list[Finding]:
    """Run the goal-quality rules on one filled goal form.

    :param settings: rule id → ``"off"``, ``"warning"`` or ``"error"`` (the
        jurisdiction's configuration); a rule not named uses its default severity.
    :returns: findings sorted by row order (whole-form findings first, then by row
        index; within a row, in the order of ``rules``), each with the configured
        severity.
    :raises ValueError: for a severity other than off/warning/error in ``settings``.
    """
    settings = settings or {}
    context = context or {}
    findings: list[Finding] = []
    for rule in rules:
        severity = settings.get(rule.id, rule.default_severity)
        if severity not in SEVERITIES:
            raise ValueError(f"规则「{rule.id}」的级别「{severity}」无效，应为 off、warning 或 error。")
        if severity == "off":
            continue
        findings.extend(dataclasses.replace(f, severity=severity)
                        for f in rule.check(definition, data, context))
    return sorted(findings, key=_row_order)  # sorted() is stable: rule order kept per row
