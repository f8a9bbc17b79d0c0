"""The work-scoring sheet (工作评分表) as rows and inputs: pure, no Flask, no database.

A sheet row is one scoring leaf with what must be entered for its rule; the same
rows serve both stages (self score, assessed score). Browser forms post flat names
(``in-materials-count``, ``in-bonus_items-counts.media``, ``final-materials``,
``reason-materials``, ``ev-materials``) which :func:`inputs_from_form` turns back
into the engine's inputs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from core.scoring.tree import Node, ScoringTree

SECTION_LABELS = {"bonus": {"zh": "加分项", "en": "Bonus"}, "deductions": {"zh": "减分项", "en": "Deductions"}}

INPUT_LABELS = {
    "count": {"zh": "次数（项数）", "en": "Count"},
    "met": {"zh": "是否做到", "en": "Done?"},
    "not_done": {"zh": "未开展项数", "en": "Not done"},
    "done": {"zh": "已完成项数", "en": "Done"},
    "required": {"zh": "应开展项数", "en": "Required"},
    "score": {"zh": "得分", "en": "Score"},
    "progress": {"zh": "全年支出进度（%）", "en": "Spending progress (%)"},
    "value": {"zh": "数值", "en": "Value"},
    "tier": {"zh": "档次", "en": "Tier"},
    "checked": {"zh": "做到的事项", "en": "Items done"},
}


@dataclass(frozen=True)
class InputSpec:
    """One thing to enter for a leaf: ``kind`` is number, yes_no, checklist, counts or tier."""

    key: str
    kind: str
    label: Mapping[str, str]
    options: tuple = ()  # (id, label[, points]) for checklist, counts and tier


@dataclass(frozen=True)
class SheetRow:
    leaf: Node
    area: Mapping[str, str]          # the level-1 node's label, or 加分项 / 减分项
    area_weight: Decimal | None
    path: tuple[Mapping[str, str], ...]  # labels between the area and the leaf
    inputs: tuple[InputSpec, ...]
    first_in_area: bool = False
    area_size: int = 1


@dataclass(frozen=True)
class Sheet:
    rows: tuple[SheetRow, ...]
    max: Decimal
    bonus_cap: Decimal | None
    deduction_cap: Decimal | None
    leaf_ids: frozenset[str] = field(default_factory=frozenset)


def input_specs(leaf: Node) -> tuple[InputSpec, ...]:
    """What an evaluator enters for ``leaf``, by its rule type."""
    rule = leaf.rule
    params = rule.params
    if rule.type == "checklist":
        items = tuple((i["id"], i.get("label") or {"zh": i["id"]}, i.get("points")) for i in params["items"])
        return (InputSpec("checked", "checklist", INPUT_LABELS["checked"], items),)
    if rule.type == "counted" and "items" in params:
        items = tuple((i["id"], i.get("label") or {"zh": i["id"]}, i.get("points")) for i in params["items"])
        return (InputSpec("counts", "counts", INPUT_LABELS["count"], items),)
    if rule.type in ("counted", "per_occurrence"):
        return (InputSpec("count", "number", INPUT_LABELS["count"]),)
    if rule.type == "qualitative":
        return (InputSpec("tier", "tier", INPUT_LABELS["tier"],
                          tuple((t.id, t.label, None) for t in rule.prepared.values())),)
    if rule.type == "manual":
        return (InputSpec("score", "number", INPUT_LABELS["score"]),)
    if rule.type == "proportional":
        part = "not_done" if params.get("deduct") else "done"
        return tuple(InputSpec(k, "number", INPUT_LABELS[k]) for k in (part, "required"))
    specs = []
    for source in rule.conditions.values():
        specs += [InputSpec(name, "yes_no", INPUT_LABELS.get(name, {"zh": name})) for name in source.names]
    for source in rule.sources.values():
        specs += [InputSpec(name, "number", INPUT_LABELS.get(name, {"zh": name})) for name in source.names
                  if name not in {s.key for s in specs}]
    return tuple(specs)


def _leaves(node: Node, trail: tuple) -> Iterable[tuple[Node, tuple]]:
    if node.is_leaf:
        yield node, trail
        return
    for child in node.children:
        yield from _leaves(child, trail + (node.label,))


def build_sheet(tree: ScoringTree) -> Sheet:
    """The rows of a scoring tree in paper order: each area, then bonus, then deductions."""
    rows: list[SheetRow] = []
    areas = [(node.label, node.weight, list(_leaves(node, ()))) for node in tree.nodes]
    for section, group in (("bonus", tree.bonus), ("deductions", tree.deductions)):
        if group is not None:
            leaves = [pair for item in group.items for pair in _leaves(item, ())]
            areas.append((group.label or SECTION_LABELS[section], group.cap, leaves))
    for label, weight, leaves in areas:
        for index, (leaf, trail) in enumerate(leaves):
            # The area's own label is not repeated in the item's path.
            path = tuple(t for t in trail if t.get("zh") != label.get("zh")
                         and not leaf.label.get("zh", "").startswith(t.get("zh", "")))
            rows.append(SheetRow(leaf, label, weight, path, input_specs(leaf), index == 0, len(leaves)))
    return Sheet(tuple(rows), tree.max, tree.bonus.cap if tree.bonus else None,
                 tree.deductions.cap if tree.deductions else None, frozenset(r.leaf.id for r in rows))


# ------------------------------------------------------------------ the form ------

def _clean(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def inputs_from_form(sheet: Sheet, form: Any) -> tuple[dict, dict]:
    """``(inputs, evidence)`` from posted form data (a werkzeug MultiDict or a dict of lists).

    Blank entries are left out, so a leaf nobody touched stays unscored. A checklist
    posts a marker (``in-<leaf>-checked-present``) so "no item done" is an answer.
    """
    def get(name: str) -> str:
        return _clean(form.get(name))

    def getlist(name: str) -> list[str]:
        values = form.getlist(name) if hasattr(form, "getlist") else form.get(name) or []
        return [_clean(v) for v in (values if isinstance(values, list) else [values]) if _clean(v)]

    inputs: dict[str, dict] = {}
    evidence: dict[str, str] = {}
    for row in sheet.rows:
        leaf_id = row.leaf.id
        entered: dict[str, Any] = {}
        for spec in row.inputs:
            name = f"in-{leaf_id}-{spec.key}"
            if spec.kind == "checklist":
                if get(name + "-present"):
                    entered["checked"] = getlist(name)
            elif spec.kind == "counts":
                counts = {item[0]: get(f"{name}.{item[0]}") for item in spec.options}
                counts = {k: v for k, v in counts.items() if v}
                if counts:
                    entered["counts"] = counts
            elif get(name):
                entered[spec.key] = get(name)
        for key in ("final", "reason"):
            if get(f"{key}-{leaf_id}"):
                entered[key] = get(f"{key}-{leaf_id}")
        if entered:
            inputs[leaf_id] = entered
        if get(f"ev-{leaf_id}"):
            evidence[leaf_id] = get(f"ev-{leaf_id}")[:4000]
    return inputs, evidence


def input_text(spec: InputSpec, entered: Mapping[str, Any] | None, lang: str = "zh") -> str:
    """What was entered for ``spec``, as text for a read-only column."""
    entered = entered or {}
    value = entered.get(spec.key)
    if value in (None, "", [], {}):
        return "—"
    if spec.kind == "checklist":
        names = {item[0]: item[1] for item in spec.options}
        done = [names[i].get(lang) or names[i]["zh"] for i in value if i in names]
        return "、".join(done) if done else ("无" if lang == "zh" else "none")
    if spec.kind == "counts":
        names = {item[0]: item[1] for item in spec.options}
        return "；".join(f"{(names[k].get(lang) or names[k]['zh']) if k in names else k} {v}" for k, v in value.items())
    if spec.kind == "tier":
        names = {item[0]: item[1] for item in spec.options}
        return (names[value].get(lang) or names[value]["zh"]) if value in names else str(value)
    name = spec.label.get(lang) or spec.label["zh"]
    if spec.kind == "yes_no":
        yes = str(value).lower() in ("是", "yes", "true", "1")
        return f"{name}：{('是' if yes else '否') if lang == 'zh' else ('yes' if yes else 'no')}"
    return f"{name}：{value}"


# ------------------------------------------------------------------ ranking -------

def rank(totals: Iterable[tuple[Any, Decimal | None]]) -> list[tuple[int, Any, Decimal]]:
    """Competition ranking (1, 2, 2, 4) of the scored items by total, highest first.

    Totals are compared as displayed (two decimals), so 88.125 and 88.13 share a rank.
    """
    def shown(total: Decimal) -> Decimal:
        return total.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")

    scored = sorted(((obj, total) for obj, total in totals if total is not None),
                    key=lambda pair: shown(pair[1]), reverse=True)
    ranked, previous, position = [], None, 0
    for index, (obj, total) in enumerate(scored, 1):
        if previous is None or shown(total) != previous:
            position, previous = index, shown(total)
        ranked.append((position, obj, total))
    return ranked


def ranking(items: list[tuple[Any, Decimal | None]]) -> list[tuple[int | None, Any, Decimal | None]]:
    """:func:`rank` over a list (unscored items kept at the end, in their order)."""
    ranked = rank(items)
    return ranked + [(None, obj, None) for obj, total in items if total is None]
