"""The structured editor: a definition as plain form inputs, and back.

A finance officer edits sections and fields, the spending plan, the indicator
tree and the scoring tree through named inputs (``s0f2_label_zh``,
``c1x0_role``, ``n2_0_rule``…); :func:`parse` reads them back into the
definition. Everything the editor does not show (``visible_if``, ``computed``,
``checks``, columns…) is kept from the stored version, so the structured and the
raw JSON editor can be used on the same draft. Buttons (``add_field:0``,
``up_node:n1_2``…) are applied by :func:`apply_action` after parsing, so the
editor works without JavaScript. Pure: no Flask, no database.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from flask_babel import lazy_gettext as _l

from core.definitions.errors import Problem
from core.definitions.model import CHOICE_TYPES, NUMERIC_TYPES
from core.definitions.schema import FIELD_TYPES, PREFILL_SOURCES, ROLES

from .blank import milestones as make_milestones

MAX_TEXT = 20000  # one input; the request as a whole is bounded by MAX_CONTENT_LENGTH
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_SPLIT_LINE = re.compile(r"\s*[|｜]\s*")
_SPLIT_LIST = re.compile(r"[\s,，、;；]+")

FIELD_TYPE_LABELS = {
    "text": _l("单行文本"), "textarea": _l("多行文本"), "integer": _l("整数"), "decimal": _l("小数"), "money": _l("金额"),
    "percent": _l("百分比"), "date": _l("日期"), "choice": _l("单选"), "multi_choice": _l("多选"), "rating": _l("评分"),
    "yes_no": _l("是/否"), "file": _l("附件"), "signature": _l("签字栏"), "matrix": _l("矩阵量表"),
}
ROLE_LABELS = {
    "quantity": _l("数量"), "quality": _l("质量"), "timeliness": _l("时效"), "cost": _l("成本"), "effect": _l("效益"),
    "economic": _l("经济效益"), "social": _l("社会效益"), "ecological": _l("生态效益"), "sustainable": _l("可持续影响"),
    "satisfaction": _l("满意度"),
}
PREFILL_LABELS = {
    "project.name": _l("项目名称"), "project.code": _l("项目编码"), "project.year": _l("项目年度"),
    "project.budget": _l("项目预算数"), "organization.name": _l("单位名称"), "jurisdiction.name": _l("辖区名称"),
}
NODE_KINDS = {"group": _l("分组（下设指标）"), "leaf": _l("评分指标"), "goal": _l("按目标表逐行生成")}

# Parameters of the engine's rule types, as a finance officer reads them.
PARAM_LABELS = {
    "actual": _l("实际值"), "target": _l("目标值"), "items": _l("清单项目"), "per": _l("每次分值"), "base": _l("起始分"),
    "max_count": _l("最多计次"), "condition": _l("得分条件"), "deduct": _l("按未完成数扣分"), "done": _l("已完成数"),
    "not_done": _l("未完成数"), "required": _l("应完成数"), "value": _l("取值"), "bands": _l("扣分档次"),
    "expression": _l("计分公式"), "tiers": _l("达成档次"), "deviation_threshold": _l("偏差阈值（%）"),
}
FORMAT_HELP = {
    "source": _l("数字、输入项名称或公式，如 executed / budget_full_year * 100"),
    "items": _l("每行一项：编号 | 名称 | 分值（分值可省略，省略则均分）"),
    "bands": _l("每行一档，从高到低：下限 | 扣分；或 下限 | 每点扣分 | 基准值"),
    "tiers": _l("每行一档：编号 | 名称 | 下限% | 上限% | 建议%"),
    "bool": "",
    "json": "JSON",
    "scalar": "",
}


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a rule type in the editor: its name, input format and default."""

    name: str
    format: str          # source, items, bands, tiers, bool, json, scalar
    default: str | None
    required: bool

    @property
    def label(self) -> str:
        return PARAM_LABELS.get(self.name, self.name)

    @property
    def help(self) -> str:
        return FORMAT_HELP.get(self.format, "")


def param_specs(rule_type: Any, current: Mapping[str, Any] | None = None) -> list[ParamSpec]:
    """The parameters of ``rule_type`` (a :class:`core.scoring.RuleType`) in editor order."""
    current = current or {}
    names: list[str] = []
    for name in (*rule_type.required, *rule_type.sources, *rule_type.conditions, *rule_type.optional):
        if name not in names:
            names.append(name)
    specs = []
    for name in names:
        if name in rule_type.sources or name in rule_type.conditions:
            fmt = "source"
            default = rule_type.sources.get(name) if name in rule_type.sources else rule_type.conditions.get(name)
        elif name in ("items", "bands", "tiers"):
            fmt, default = name, None
        elif name == "deduct":
            fmt, default = "bool", None
        elif isinstance(current.get(name), (list, dict)):
            fmt, default = "json", None
        else:
            fmt, default = "scalar", None
        specs.append(ParamSpec(name, fmt, default, name in rule_type.required))
    return specs


# --------------------------------------------------------------- value conversion ----

def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_number(text: str) -> Any:
    """``"12"`` → 12, ``"0.3"`` → 0.3; anything else stays text (the validator names it)."""
    text = text.strip()
    if _NUMBER.match(text):
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    return text


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in _SPLIT_LINE.split(line.strip())]


def _lines(text: str) -> list[list[str]]:
    return [_cells(line) for line in text.replace("\r", "").split("\n") if line.strip()]


def param_text(fmt: str, value: Any) -> str:
    """A parameter's stored value as the text its input shows."""
    if value is None:
        return ""
    if fmt == "items" and isinstance(value, list):
        rows = []
        for item in value:
            if not isinstance(item, Mapping):
                rows.append(json.dumps(item, ensure_ascii=False))
                continue
            label = item.get("label") if isinstance(item.get("label"), Mapping) else {}
            cells = [_plain(item.get("id")), _plain(label.get("zh"))]
            if "points" in item:
                cells.append(_plain(item["points"]))
            rows.append(" | ".join(cells))
        return "\n".join(rows)
    if fmt == "bands" and isinstance(value, list):
        rows = []
        for band in value:
            if not isinstance(band, Mapping):
                rows.append(json.dumps(band, ensure_ascii=False))
            elif "per_point" in band:
                rows.append(" | ".join(_plain(band.get(k)) for k in ("min", "per_point", "below")))
            else:
                rows.append(" | ".join(_plain(band.get(k)) for k in ("min", "deduct")))
        return "\n".join(rows)
    if fmt == "tiers" and isinstance(value, list):
        rows = []
        for tier in value:
            if not isinstance(tier, Mapping):
                rows.append(json.dumps(tier, ensure_ascii=False))
                continue
            label = tier.get("label") if isinstance(tier.get("label"), Mapping) else {}
            cells = [_plain(tier.get("id")), _plain(label.get("zh")), _plain(tier.get("min")), _plain(tier.get("max"))]
            if "suggest" in tier:
                cells.append(_plain(tier["suggest"]))
            rows.append(" | ".join(cells))
        return "\n".join(rows)
    if fmt == "bool":
        return "yes" if value is True else "no" if value is False else _plain(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return _plain(value)


def _merged(items: list, old: Any) -> list:
    """Items (or tiers) read from lines keep what the lines do not show — an English
    label, a note — from the stored item with the same id."""
    previous = {item.get("id"): item for item in old if isinstance(item, Mapping)} if isinstance(old, list) else {}
    merged = []
    for item in items:
        before = previous.get(item.get("id"))
        if before is None:
            merged.append(item)
            continue
        combined = copy.deepcopy(dict(before))
        combined.update({k: v for k, v in item.items() if k != "label"})
        label = dict(before.get("label")) if isinstance(before.get("label"), Mapping) else {}
        label.update(item.get("label") or {})
        combined["label"] = label
        for key in ("points", "suggest"):  # shown in the line: absent there means absent
            if key not in item:
                combined.pop(key, None)
        merged.append(combined)
    return merged


def parse_param(fmt: str, text: str, where: str, problems: list[Problem], old: Any = None) -> Any:
    """A parameter's value from its input; ``None`` when left empty (the parameter is omitted).

    :param old: the stored value, whose items keep what their lines do not show.
    """
    value = _parse_param(fmt, text, where, problems)
    if fmt in ("items", "tiers") and isinstance(value, list):
        return _merged(value, old)
    return value


def _parse_param(fmt: str, text: str, where: str, problems: list[Problem]) -> Any:
    text = text.strip()
    if not text:
        return None
    if fmt == "items":
        items = []
        for index, cells in enumerate(_lines(text)):
            if len(cells) == 1:
                item = {"id": f"i{index + 1}", "label": {"zh": cells[0]}}
            else:
                item = {"id": cells[0], "label": {"zh": cells[1]}}
                if len(cells) > 2 and cells[2]:
                    item["points"] = to_number(cells[2])
            items.append(item)
        return items
    if fmt == "bands":
        bands = []
        for cells in _lines(text):
            if len(cells) >= 3:
                bands.append({"min": to_number(cells[0]), "per_point": to_number(cells[1]),
                              "below": to_number(cells[2])})
            else:
                bands.append({"min": to_number(cells[0]), "deduct": to_number(cells[1]) if len(cells) > 1 else ""})
        return bands
    if fmt == "tiers":
        tiers = []
        for cells in _lines(text):
            cells = cells + [""] * (4 - len(cells))
            tier = {"id": cells[0], "label": {"zh": cells[1] or cells[0]},
                    "min": to_number(cells[2]), "max": to_number(cells[3])}
            if len(cells) > 4 and cells[4]:
                tier["suggest"] = to_number(cells[4])
            tiers.append(tier)
        return tiers
    if fmt == "bool":
        return text in ("yes", "true", "1", "是")
    if fmt == "json":
        try:
            return json.loads(text)
        except ValueError as error:
            problems.append(Problem(where, f"不是有效的 JSON：{error}", "json_syntax"))
            return text
    return to_number(text)


# ------------------------------------------------------------------ form access ----

class _Reader:
    """Posted values by name, trimmed and bounded."""

    def __init__(self, form: Mapping[str, Any]):
        self.form = form

    def text(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""

    def has(self, name: str) -> bool:
        return name in self.form

    def flag(self, name: str) -> bool:
        return bool(self.text(name))

    def label(self, prefix: str, old: Any) -> dict:
        label = dict(old) if isinstance(old, Mapping) else {}
        label["zh"] = self.text(f"{prefix}_zh")
        en = self.text(f"{prefix}_en")
        if en:
            label["en"] = en
        else:
            label.pop("en", None)
        return label

    def optional_label(self, prefix: str, old: Any) -> dict | None:
        zh = self.text(f"{prefix}_zh")
        if not zh:
            return None
        label = dict(old) if isinstance(old, Mapping) else {}
        label["zh"] = zh
        return label


def _set(doc: dict, key: str, value: Any) -> None:
    if value is None or value == "":
        doc.pop(key, None)
    else:
        doc[key] = value


# ------------------------------------------------------------------------- parse ----

def _parse_choices(text: str) -> list[dict]:
    choices = []
    for cells in _lines(text):
        value = cells[0]
        choice = {"value": value, "label": {"zh": cells[1] if len(cells) > 1 and cells[1] else value}}
        if len(cells) > 2 and cells[2]:
            choice["label"]["en"] = cells[2]
        choices.append(choice)
    return choices


def choices_text(choices: Any) -> str:
    if not isinstance(choices, list):
        return ""
    rows = []
    for choice in choices:
        if not isinstance(choice, Mapping):
            continue
        label = choice.get("label") if isinstance(choice.get("label"), Mapping) else {}
        cells = [_plain(choice.get("value")), _plain(label.get("zh"))]
        if label.get("en"):
            cells.append(label["en"])
        rows.append(" | ".join(cells))
    return "\n".join(rows)


def _parse_field(r: _Reader, p: str, old: Mapping) -> dict:
    field = copy.deepcopy(dict(old))
    field["id"] = r.text(f"{p}_id")
    field["type"] = r.text(f"{p}_type")
    field["label"] = r.label(f"{p}_label", old.get("label"))
    _set(field, "required", True if r.flag(f"{p}_required") else None)
    for key in ("min", "max"):
        _set(field, key, to_number(r.text(f"{p}_{key}")) if r.text(f"{p}_{key}") else None)
    _set(field, "help", r.optional_label(f"{p}_help", old.get("help")))
    _set(field, "prefill", r.text(f"{p}_prefill") or None)
    if field["type"] in CHOICE_TYPES and field["type"] != "matrix":
        _set(field, "choices", _parse_choices(r.text(f"{p}_choices")) or None)
    elif field["type"] not in CHOICE_TYPES:
        field.pop("choices", None)
    return field


def _parse_sections(r: _Reader, body: dict, old: dict) -> None:
    sections = []
    for i, section in enumerate(old.get("sections") if isinstance(old.get("sections"), list) else []):
        if not isinstance(section, Mapping):
            sections.append(section)
            continue
        p = f"s{i}"
        new = copy.deepcopy(dict(section))
        _set(new, "id", r.text(f"{p}_id") or None)
        new["label"] = r.label(f"{p}_label", section.get("label"))
        columns = r.text(f"{p}_columns")
        _set(new, "columns", to_number(columns) if columns else None)
        fields = section.get("fields") if isinstance(section.get("fields"), list) else []
        new["fields"] = [_parse_field(r, f"{p}f{j}", field) if isinstance(field, Mapping) else field
                         for j, field in enumerate(fields)]
        sections.append(new)
    body["sections"] = sections


def _months(text: str, problems: list[Problem]) -> list[int]:
    months = []
    for token in _SPLIT_LIST.split(text.replace("月", " ")):
        if not token:
            continue
        if re.fullmatch(r"\d{1,2}", token) and 1 <= int(token) <= 12:
            months.append(int(token))
        else:
            problems.append(Problem("milestones.points", f"资金支出计划的月份「{token}」无效（须为 1–12 的整数），未保存该月份",
                                    "month_invalid"))
    return sorted(set(months))


def parse_months(text: str) -> tuple[list[int], list[Problem]]:
    """Month-ends from ``"3,6,9,12"`` (or ``3、6、9、12月``); tokens that are no month are problems."""
    problems: list[Problem] = []
    return _months(text, problems), problems


def _parse_milestones(r: _Reader, body: dict, old: dict, problems: list[Problem]) -> None:
    if not r.flag("ms_on"):
        body.pop("milestones", None)
        return
    months = _months(r.text("ms_months"), problems)
    deadline_text = r.text("ms_complete_by")
    deadline = None
    if deadline_text:
        if re.fullmatch(r"\d{1,2}", deadline_text) and 1 <= int(deadline_text) <= 12:
            deadline = int(deadline_text)
        else:
            problems.append(Problem("milestones.complete_by_month",
                                    f"完成期限「{deadline_text}」无效（须为 1–12 的月份）", "month_invalid"))
    previous = old.get("milestones") if isinstance(old.get("milestones"), Mapping) else {}
    plan = make_milestones(months, deadline or 12)
    if deadline is None:
        plan.pop("complete_by_month")
    by_month = {p.get("month"): p for p in previous.get("points", []) if isinstance(p, Mapping)}
    plan["points"] = [copy.deepcopy(dict(by_month[p["month"]])) if p["month"] in by_month else p
                      for p in plan["points"]]
    plan["label"] = r.label("ms_label", previous.get("label") or plan["label"])
    if previous:  # an existing plan keeps its own help text (or none)
        _set(plan, "help", previous.get("help"))
    body["milestones"] = plan


def _parse_tree(r: _Reader, body: dict, old: dict) -> None:
    if not r.flag("it_on"):
        body.pop("indicator_tree", None)
        return
    tree = copy.deepcopy(dict(old["indicator_tree"])) if isinstance(old.get("indicator_tree"), Mapping) else {}
    tree["label"] = r.label("it_label", tree.get("label") or {"zh": "绩效指标"})
    tree["allow_add_rows"] = r.flag("it_allow_add_rows")
    categories, min_rows = [], {}
    for k, category in enumerate(tree.get("categories") if isinstance(tree.get("categories"), list) else []):
        if not isinstance(category, Mapping):
            categories.append(category)
            continue
        p = f"c{k}"
        new = _tree_node(r, p, category)
        rows = r.text(f"{p}_min_rows")
        if rows:
            min_rows[new["id"]] = to_number(rows)
        children = []
        for x, child in enumerate(category.get("children") if isinstance(category.get("children"), list) else []):
            if not isinstance(child, Mapping):
                children.append(child)
                continue
            children.append(_tree_node(r, f"{p}x{x}", child))
        new["children"] = children
        categories.append(new)
    tree["categories"] = categories
    _set(tree, "min_rows", min_rows or None)
    body["indicator_tree"] = tree


def _parse_node(r: _Reader, p: str, old: Mapping, registry: Mapping, problems: list[Problem], jpath: str) -> dict:
    node = copy.deepcopy(dict(old))
    node["id"] = r.text(f"{p}_id")
    node["label"] = r.label(f"{p}_label", old.get("label"))
    weight = r.text(f"{p}_weight")
    node["weight"] = to_number(weight) if weight else ""
    if node["weight"] == "":
        node.pop("weight")
    _set(node, "standard", r.optional_label(f"{p}_standard", old.get("standard")))
    kind = r.text(f"{p}_kind") or node_kind(old)
    if kind == "group":
        node.pop("rule", None)
        node.pop("from_goal", None)
        children = old.get("children") if isinstance(old.get("children"), list) else []
        node["children"] = [_parse_node(r, f"{p}_{i}", child, registry, problems, f"{jpath}.children[{i}]")
                            if isinstance(child, Mapping) else child
                            for i, child in enumerate(children)]
    elif kind == "goal":
        node.pop("rule", None)
        node.pop("children", None)
        spec = dict(old.get("from_goal") or {}) if isinstance(old.get("from_goal"), Mapping) else {}
        spec["level1"] = r.text(f"{p}_level1")
        node["from_goal"] = spec
    else:
        node.pop("children", None)
        node.pop("from_goal", None)
        node.pop("goal_row", None)
        old_rule = old.get("rule") if isinstance(old.get("rule"), Mapping) else {}
        type_id = r.text(f"{p}_rule") or old_rule.get("type") or "manual"
        rule_type = registry.get(type_id)
        if rule_type is None:  # a type this installation does not know: keep it for the validator to name
            node["rule"] = copy.deepcopy(dict(old_rule)) if old_rule.get("type") == type_id else {"type": type_id}
        else:
            same = old_rule.get("type") == type_id
            rule = {"type": type_id}
            for spec in param_specs(rule_type, old_rule if same else {}):
                name = f"{p}_param_{spec.name}"
                if same and not r.has(name):
                    if spec.name in old_rule:
                        rule[spec.name] = copy.deepcopy(old_rule[spec.name])
                    continue
                value = parse_param(spec.format, r.text(name), f"{jpath}.rule.{spec.name}", problems,
                                    old_rule.get(spec.name) if same else None)
                if value is not None:
                    rule[spec.name] = value
            if same:  # parameters the editor does not show (input_labels) are kept, as elsewhere
                shown = {spec.name for spec in param_specs(rule_type, old_rule)}
                rule.update({k: copy.deepcopy(v) for k, v in old_rule.items() if k not in shown and k not in rule})
            node["rule"] = rule
    return node


def _parse_scoring(r: _Reader, body: dict, old: dict, registry: Mapping, problems: list[Problem]) -> None:
    if not isinstance(old.get("scoring"), Mapping):
        return
    scoring = copy.deepcopy(dict(old["scoring"]))
    maximum = r.text("sc_max")
    scoring["max"] = to_number(maximum) if maximum else ""
    scoring["nodes"] = [_parse_node(r, f"n{i}", node, registry, problems, f"scoring.nodes[{i}]")
                        if isinstance(node, Mapping) else node
                        for i, node in enumerate(old["scoring"].get("nodes") or [])]
    for root, key in (("b", "bonus"), ("d", "deductions")):
        group = old["scoring"].get(key)
        if not isinstance(group, Mapping):
            continue
        new = copy.deepcopy(dict(group))
        new["label"] = r.label(f"{root}_label", group.get("label") or {"zh": GROUP_LABELS[key]})
        cap = r.text(f"{root}_cap")
        _set(new, "cap", to_number(cap) if cap else None)
        new["items"] = [_parse_node(r, f"{root}{i}", node, registry, problems, f"scoring.{key}.items[{i}]")
                        if isinstance(node, Mapping) else node for i, node in enumerate(group.get("items") or [])]
        scoring[key] = new
    body["scoring"] = scoring


GROUP_LABELS = {"bonus": "加分项", "deductions": "减分项"}


def node_kind(node: Mapping) -> str:
    if node.get("from_goal") is not None and not node.get("rule"):
        return "goal"
    if node.get("children") is not None and not node.get("rule"):
        return "group"
    return "leaf"


def parse(form: Mapping[str, Any], old: Mapping[str, Any], registry: Mapping) -> tuple[dict, list[Problem]]:
    """The definition the structured editor's inputs describe.

    :param form: the posted inputs (a mapping of name → string).
    :param old: the stored draft the page was rendered from; keys the editor does
        not show are kept from it, and list elements are matched by position.
    :param registry: the scoring rule types (id → RuleType).
    :return: the new definition and the problems found while reading the inputs
        (a month that is not a month…); the validator finds everything else.
    """
    r = _Reader(form)
    problems: list[Problem] = []
    old = dict(old)
    body = copy.deepcopy(old)
    body["title"] = r.label("title", old.get("title"))
    _set(body, "description", r.optional_label("description", old.get("description")))
    _parse_sections(r, body, old)
    if r.has("ms_present"):
        _parse_milestones(r, body, old, problems)
    if r.has("it_present"):
        _parse_tree(r, body, old)
    _parse_scoring(r, body, old, registry, problems)
    return body, problems


# ------------------------------------------------------------------------ actions ----

def _unique(prefix: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def _field_ids(body: Mapping) -> set[str]:
    return {f.get("id") for s in body.get("sections") or [] if isinstance(s, Mapping)
            for f in s.get("fields") or [] if isinstance(f, Mapping)}


def _node_ids(nodes: Iterable) -> set[str]:
    ids = set()
    for node in nodes or []:
        if isinstance(node, Mapping):
            ids.add(node.get("id"))
            ids |= _node_ids(node.get("children"))
    return ids


def _all_node_ids(scoring: Mapping) -> set[str]:
    ids = _node_ids(scoring.get("nodes"))
    for key in ("bonus", "deductions"):
        if isinstance(scoring.get(key), Mapping):
            ids |= _node_ids(scoring[key].get("items"))
    return ids


def _move(items: list, index: int, step: int) -> None:
    target = index + step
    if 0 <= index < len(items) and 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


def _tree_node(r, prefix: str, node: Mapping) -> dict:
    """A category or level-2 node of the indicator tree with its id, label and role as
    posted under ``prefix``; its other keys (children, columns…) kept."""
    new = copy.deepcopy(dict(node))
    new["id"] = r.text(f"{prefix}_id")
    new["label"] = r.label(f"{prefix}_label", node.get("label"))
    _set(new, "role", r.text(f"{prefix}_role") or None)
    return new


def _remove_or_move(items: list, verb: str, index: int, moved: str, removed: str) -> str:
    """The remove/up/down buttons of one list: apply ``verb`` ("remove", "up" or
    "down") to ``items[index]``; return the anchor to scroll to — ``removed``, or
    ``moved`` formatted with the entry's new index."""
    if verb == "remove":
        if 0 <= index < len(items):
            del items[index]
        return removed
    step = -1 if verb == "up" else 1
    _move(items, index, step)
    return moved.format(max(0, index + step))


def _index(text: str) -> int:
    return int(text) if text.isdigit() else -1


def node_list(scoring: dict, root: str, create: bool = False) -> list | None:
    """The list a root letter names: ``n`` nodes, ``b`` bonus items, ``d`` deduction items."""
    if root == "n":
        return scoring.setdefault("nodes", [])
    key = {"b": "bonus", "d": "deductions"}.get(root)
    if key is None:
        return None
    if not isinstance(scoring.get(key), dict):
        if not create:
            return None
        scoring[key] = {"label": {"zh": GROUP_LABELS[key]}, "items": []}
    return scoring[key].setdefault("items", [])


def locate(scoring: dict, path: str) -> tuple[list, int] | None:
    """The list holding the node at editor path ``n0_1_2`` and its index there."""
    match = re.fullmatch(r"([nbd])(\d+(?:_\d+)*)", path or "")
    if not match:
        return None
    items = node_list(scoring, match.group(1))
    indices = [int(i) for i in match.group(2).split("_")]
    for depth, index in enumerate(indices):
        if items is None or not 0 <= index < len(items):
            return None
        if depth == len(indices) - 1:
            return items, index
        node = items[index]
        items = node.get("children") if isinstance(node, dict) else None
    return None


def json_path(path: str) -> str:
    """The JSON path of an editor node path: ``n0_1`` → ``scoring.nodes[0].children[1]``."""
    root, _, rest = path[0], None, path[1:]
    head = {"n": "scoring.nodes", "b": "scoring.bonus.items", "d": "scoring.deductions.items"}[root]
    indices = rest.split("_")
    return head + f"[{indices[0]}]" + "".join(f".children[{i}]" for i in indices[1:])


def _new_leaf(scoring: Mapping) -> dict:
    node_id = _unique("node", _all_node_ids(scoring))
    return {"id": node_id, "label": {"zh": f"新指标 {node_id[4:]}"}, "weight": 0, "rule": {"type": "manual"}}


def apply_action(body: dict, action: str) -> tuple[dict, str]:
    """Apply one editor button to ``body`` (in place); return it and the anchor to scroll to."""
    name, _, arg = (action or "").partition(":")
    args = arg.split(":") if arg else []
    sections = body.setdefault("sections", [])
    if name == "add_section":
        section_id = _unique("section", {s.get("id") for s in sections if isinstance(s, Mapping)})
        sections.append({"id": section_id, "label": {"zh": f"新分组 {section_id[7:]}"}, "fields": []})
        return body, f"s{len(sections) - 1}"
    verb = name.partition("_")[0]
    if name in ("remove_section", "up_section", "down_section") and args:
        return body, _remove_or_move(sections, verb, _index(args[0]), "s{}", "sections")
    if name == "add_field" and args:
        i = _index(args[0])
        if 0 <= i < len(sections) and isinstance(sections[i], dict):
            field_id = _unique("field", _field_ids(body))
            fields = sections[i].setdefault("fields", [])
            fields.append({"id": field_id, "type": "text", "label": {"zh": f"新字段 {field_id[5:]}"}})
            return body, f"s{i}f{len(fields) - 1}"
    if name in ("remove_field", "up_field", "down_field") and len(args) == 2:
        i, j = _index(args[0]), _index(args[1])
        if 0 <= i < len(sections) and isinstance(sections[i], dict):
            return body, _remove_or_move(sections[i].setdefault("fields", []), verb, j, f"s{i}f{{}}", f"s{i}")
    tree = body.get("indicator_tree") if isinstance(body.get("indicator_tree"), dict) else None
    if name == "add_category":
        if tree is None:
            tree = body["indicator_tree"] = {"label": {"zh": "绩效指标", "en": "Performance indicators"},
                                             "allow_add_rows": True, "categories": []}
        categories = tree.setdefault("categories", [])
        ids = {c.get("id") for c in categories if isinstance(c, Mapping)}
        cid = _unique("category", ids)
        child_ids = {k.get("id") for c in categories if isinstance(c, Mapping)
                     for k in c.get("children") or [] if isinstance(k, Mapping)}
        categories.append({"id": cid, "label": {"zh": f"新一级指标 {cid[8:]}"},
                           "children": [{"id": _unique("sub", child_ids), "label": {"zh": "新二级指标"}}]})
        return body, f"c{len(categories) - 1}"
    if tree is not None:
        categories = tree.setdefault("categories", [])
        if name in ("remove_category", "up_category", "down_category") and args:
            return body, _remove_or_move(categories, verb, _index(args[0]), "c{}", "tree")
        if name == "add_child" and args:
            k = _index(args[0])
            if 0 <= k < len(categories) and isinstance(categories[k], dict):
                child_ids = {kid.get("id") for c in categories if isinstance(c, Mapping)
                             for kid in c.get("children") or [] if isinstance(kid, Mapping)}
                children = categories[k].setdefault("children", [])
                sub = _unique("sub", child_ids)
                children.append({"id": sub, "label": {"zh": f"新二级指标 {sub[3:]}"}})
                return body, f"c{k}x{len(children) - 1}"
        if name in ("remove_child", "up_child", "down_child") and len(args) == 2:
            k, x = _index(args[0]), _index(args[1])
            if 0 <= k < len(categories) and isinstance(categories[k], dict):
                return body, _remove_or_move(categories[k].setdefault("children", []), verb, x,
                                             f"c{k}x{{}}", f"c{k}")
    scoring = body.get("scoring") if isinstance(body.get("scoring"), dict) else None
    if scoring is not None and args:
        path = args[0]
        if name == "add_node":
            if path in ("n", "b", "d"):
                items = node_list(scoring, path, create=True)
                items.append(_new_leaf(scoring))
                return body, f"{path}{len(items) - 1}"
            found = locate(scoring, path)
            if found:
                items, index = found
                node = items[index]
                node.pop("rule", None)
                node.pop("from_goal", None)
                children = node.setdefault("children", [])
                children.append(_new_leaf(scoring))
                return body, f"{path}_{len(children) - 1}"
        if name in ("remove_node", "up_node", "down_node"):
            found = locate(scoring, path)
            if found:
                items, index = found
                if name == "remove_node":
                    del items[index]
                    for key in ("bonus", "deductions"):  # an empty group is no group
                        if isinstance(scoring.get(key), dict) and not scoring[key].get("items"):
                            del scoring[key]
                    return body, "scoring"
                step = -1 if name == "up_node" else 1
                _move(items, index, step)
                new_index = max(0, min(len(items) - 1, index + step))
                parent = path.rpartition("_")[0] + "_" if "_" in path else path[0]
                return body, f"{parent}{new_index}"
    return body, ""


# ---------------------------------------------------------------- template help ----

def problems_under(problems: Iterable[Problem], prefix: str, exact: bool = False) -> list[Problem]:
    """The problems at ``prefix`` (and, unless ``exact``, below it: ``prefix.x``, ``prefix[1]``)."""
    found = []
    for item in problems:
        path = item.path
        if path == prefix or (not exact and (path.startswith(prefix + ".") or path.startswith(prefix + "["))):
            found.append(item)
    return found


EDITOR_CHOICES = {
    "field_types": [(t, FIELD_TYPE_LABELS.get(t, t)) for t in FIELD_TYPES],
    "roles": [(r, ROLE_LABELS.get(r, r)) for r in ROLES],
    "prefill": [(p, PREFILL_LABELS.get(p, p)) for p in PREFILL_SOURCES],
    "node_kinds": list(NODE_KINDS.items()),
    "numeric_types": sorted(NUMERIC_TYPES),
    "choice_types": sorted(CHOICE_TYPES - {"matrix"}),
}
