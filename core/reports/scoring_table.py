"""The scored indicator table of a self-evaluation, as printed (石家庄 附件二, 福田 表1-3).

Pure: takes a loaded :class:`~core.scoring.tree.ScoringTree`, its
:class:`~core.scoring.engine.ScoreResult` and the entered ``scores``; returns rows
with rowspans for 一级指标 and 二级指标, then the bonus and deduction items and the
totals. Trees of any depth print in three levels: a leaf right under a level-1
node spans the 二级/三级 columns; deeper groups prefix the leaf's name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from core.i18n import label as _label
from core.scoring.values import display


def score_text(value: Decimal | None) -> str:
    """Two decimals, ROUND_HALF_UP, as on the paper forms; empty when unscored."""
    return "" if value is None else f"{display(value):f}"


def weight_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


@dataclass
class GroupCell:
    text: str
    weight: str
    rowspan: int


@dataclass
class ScoreRow:
    leaf_id: str
    l1: GroupCell | None
    l2: GroupCell | None
    l2_spans_leaf: bool  # the leaf sits right under level 1: one cell for 二级 + 三级
    name: str
    weight: str
    explanation: str
    target: str
    actual: str
    suggested: str
    final: str
    score: str
    reason: str
    section: str = "base"


@dataclass
class ScoreTable:
    rows: list[ScoreRow]
    max: str
    base: str
    bonus: str | None
    bonus_cap: str | None
    deductions: str | None
    deductions_cap: str | None
    total: str
    grade: str
    problems: list[str] = field(default_factory=list)


def _explanation(node, lang: str) -> str:
    """指标解释 as printed on 附件二; the scoring standard only when there is no explanation
    (printing both doubles every row, and a merged 一级指标 block must fit on one page)."""
    if node.explanation:
        return _label(node.explanation, lang)
    return _label(node.standard, lang) if node.standard else ""


def build_score_table(tree, result, scores: Mapping[str, Any] | None, lang: str = "zh") -> ScoreTable:
    """Rows for every leaf of ``tree`` (base, then bonus, then deductions) with its scores."""
    scores = scores or {}
    leaves = {leaf.id: leaf for leaf in result.leaves}
    rows: list[ScoreRow] = []

    def leaf_row(leaf, l1, l2, spans, prefix, section) -> ScoreRow:
        scored = leaves.get(leaf.id)
        entry = scores.get(leaf.id) or {}
        # Only an indicator leaf has a target value (a goal row's); elsewhere "target" names a field.
        rule_target = leaf.rule.params.get("target") if leaf.rule and leaf.rule.type == "indicator" else ""
        target = str(entry.get("target") or rule_target or "")
        final = scored.final if scored is not None else None
        return ScoreRow(
            leaf_id=leaf.id, l1=l1, l2=l2, l2_spans_leaf=spans,
            name=prefix + _label(leaf.label, lang), weight=weight_text(leaf.weight),
            explanation=_explanation(leaf, lang), target=target, actual=str(entry.get("actual") or ""),
            suggested=score_text(scored.suggested) if scored else "",
            final=score_text(final), score=score_text(scored.score) if scored else "",
            reason=(scored.reason or "") if scored else "", section=section)

    for top in tree.nodes:
        first_of_top = len(rows)
        if top.is_leaf:  # a level-1 node scored directly: it is its own row
            rows.append(leaf_row(top, None, None, True, "", "base"))
            rows[-1].l1 = GroupCell(_label(top.label, lang), weight_text(top.weight), 1)
            rows[-1].name = ""
            continue
        for child in top.children:
            first_of_child = len(rows)
            if child.is_leaf:
                rows.append(leaf_row(child, None, None, True, "", "base"))
                continue
            for leaf, prefix in _leaves_with_prefix(child, lang):
                rows.append(leaf_row(leaf, None, None, False, prefix, "base"))
            rows[first_of_child].l2 = GroupCell(_label(child.label, lang), weight_text(child.weight),
                                                len(rows) - first_of_child)
        if len(rows) > first_of_top:
            rows[first_of_top].l1 = GroupCell(_label(top.label, lang), weight_text(top.weight),
                                              len(rows) - first_of_top)

    caps = {}
    for group in (tree.bonus, tree.deductions):
        if group is None:
            continue
        start = len(rows)
        for item in group.items:
            for leaf, prefix in _leaves_with_prefix(item, lang) if not item.is_leaf else [(item, "")]:
                rows.append(leaf_row(leaf, None, None, True, prefix, group.id))
        if len(rows) > start:
            cap = group.cap if group.cap is not None else sum((i.weight for i in group.items), Decimal(0))
            caps[group.id] = weight_text(cap)
            rows[start].l1 = GroupCell(_label(group.label, lang), caps[group.id], len(rows) - start)

    grade = _label(result.grade, lang) if result.grade else ""
    return ScoreTable(
        rows=rows, max=weight_text(result.max), base=score_text(result.base),
        bonus=score_text(result.bonus) if tree.bonus else None, bonus_cap=caps.get("bonus"),
        deductions=score_text(result.deductions) if tree.deductions else None,
        deductions_cap=caps.get("deductions"), total=score_text(result.total), grade=grade,
        problems=[p.message for p in result.problems])


def _leaves_with_prefix(node, lang: str, prefix: str = ""):
    """The leaves under ``node`` (a level-2 group); deeper group names become a prefix."""
    for child in node.children:
        if child.is_leaf:
            yield child, prefix
        else:
            yield from _leaves_with_prefix(child, lang, prefix + _label(child.label, lang) + " · ")
