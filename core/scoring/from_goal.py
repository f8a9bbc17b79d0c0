"""Instantiating a self-evaluation's scoring tree from a project's goal form.

The national default self-evaluation (output 50, effect 30, satisfaction 10, budget
execution 10) scores each project by *its own* goal-form rows. A definition marks
the level-1 nodes to fill with ``"from_goal": {"level1": "output"}``; this module
writes one ``indicator`` leaf per goal row of that level-1 category, carrying the
row's target, and splits the node's weight across them.
"""
from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any, Mapping

from core.definitions.errors import DefinitionInvalid, Problem
from core.scoring.messages import problem, zh
from core.scoring.values import CENT, ZERO, to_decimal

_NOT_ID = re.compile(r"[^a-z0-9_]+")


def split_weight(total: Decimal, count: int) -> list[Decimal]:
    """Split ``total`` into ``count`` shares of whole cents that add up exactly.

    Largest remainder: 50 over 3 rows is 16.67, 16.67, 16.66 — the validator
    requires children to sum to their parent, so 16.666… would never do.
    """
    cents = total / CENT
    if cents != cents.to_integral_value():  # more than two decimals: the last row takes the rest
        share = (total / count).quantize(CENT)
        return [share] * (count - 1) + [total - share * (count - 1)]
    base, extra = divmod(int(cents), count)
    return [(Decimal(base + (1 if i < extra else 0)) * CENT) for i in range(count)]


def _json_number(value: Decimal) -> int | float:
    # Plain JSON numbers so the result can be stored as is; two-decimal floats
    # round-trip exactly through to_decimal (which reads their repr).
    return int(value) if value == value.to_integral_value() else float(value)


def _leaf_id(node_id: str, row_id: Any, index: int) -> str:
    suffix = _NOT_ID.sub("_", str(row_id or f"row{index + 1}").lower()).strip("_") or f"row{index + 1}"
    return f"{node_id}_{suffix}"


def _weights(node: Mapping, rows: list[Mapping], weight: Decimal, path: str, name: str) -> list[Decimal] | Problem:
    given = node["from_goal"].get("weights") or {}
    fixed = [to_decimal(given.get(row.get("id"), row.get("weight"))) for row in rows]
    free = [i for i, w in enumerate(fixed) if w is None]
    rest = weight - sum((w for w in fixed if w is not None), ZERO)
    if rest < 0 or (not free and rest != 0):
        return problem(f"{path}.from_goal.weights", "goal_weights_mismatch", label=name,
                       total=weight - rest, weight=weight)
    for i, share in zip(free, split_weight(rest, len(free)) if free else ()):
        fixed[i] = share
    return fixed


def _leaves(node: Mapping, rows: list[Mapping], weights: list[Decimal]) -> list[dict]:
    template = node["from_goal"].get("rule") or {"type": "indicator"}
    leaves = []
    for index, (row, weight) in enumerate(zip(rows, weights)):
        rule = copy.deepcopy(dict(template))
        if row.get("target") not in (None, "") and rule.get("type") == "indicator":
            rule.setdefault("target", row["target"])
        leaf = {"id": _leaf_id(node["id"], row.get("id"), index),
                "label": {"zh": row.get("name") or f"指标 {index + 1}"},
                "weight": _json_number(weight), "rule": rule, "goal_row": row.get("id")}
        if row.get("description"):
            leaf["explanation"] = {"zh": row["description"]}
        leaves.append(leaf)
    return leaves


def _instantiate(node: dict, path: str, categories: Mapping[str, Any], rows: list[Mapping]) -> list[Problem]:
    spec, name = node["from_goal"], zh(node.get("label"), node.get("id", ""))
    level1, level2 = spec.get("level1"), spec.get("level2")
    if categories and level1 not in categories:
        return [problem(f"{path}.from_goal.level1", "goal_level_unknown", label=name, level1=level1,
                        known="、".join(categories))]
    chosen = [row for row in rows
              if row.get("level1") == level1 and (level2 is None or row.get("level2") == level2)]
    if not chosen:
        level_name = zh(categories.get(level1, {}).get("label"), level1) if categories else level1
        return [problem(path, "goal_no_rows", label=name, level1=level_name)]
    weights = _weights(node, chosen, to_decimal(node.get("weight")) or ZERO, path, name)
    if isinstance(weights, Problem):
        return [weights]
    node["children"] = _leaves(node, chosen, weights)
    return []


def _walk(nodes: list, path: str, categories, rows) -> list[Problem]:
    problems: list[Problem] = []
    for index, node in enumerate(nodes):
        where = f"{path}[{index}]"
        if isinstance(node, dict) and node.get("from_goal") and not node.get("children"):
            problems.extend(_instantiate(node, where, categories, rows))
        elif isinstance(node, dict) and node.get("children"):
            problems.extend(_walk(node["children"], f"{where}.children", categories, rows))
    return problems


def instantiate_from_goal(scoring: Mapping[str, Any], goal_definition: Mapping[str, Any],
                          goal_data: Mapping[str, Any]) -> dict:
    """A copy of ``scoring`` whose ``from_goal`` nodes hold one leaf per goal-form row.

    :param scoring: a ``scoring`` section with nodes such as
        ``{"id": "output", "weight": 50, "from_goal": {"level1": "output"}}``;
        ``from_goal`` may add ``level2`` (only that sub-category), ``weights``
        (``{row_id: weight}``; the rest is split equally) and ``rule`` (the template,
        default ``{"type": "indicator"}``). Not modified.
    :param goal_definition: the goal form's definition; its ``indicator_tree``
        categories validate ``level1`` and name it in messages.
    :param goal_data: the filled goal form, ``{"indicators": [{"id", "level1",
        "level2", "name", "description", "target", "weight"?}, …]}``.
    :return: the instantiated ``scoring`` dict; each generated leaf is
        ``{"id": "<node>_<row>", "label": {"zh": name}, "weight": share,
        "rule": {"type": "indicator", "target": row target}, "goal_row": row id}``.
    :raises DefinitionInvalid: a ``level1`` unknown to the goal definition, a
        category without rows, or given weights that do not add up.
    """
    result = copy.deepcopy(dict(scoring))
    tree = goal_definition.get("indicator_tree") or {}
    categories = {c["id"]: c for c in tree.get("categories", ()) if isinstance(c, Mapping) and "id" in c}
    rows = [row for row in goal_data.get("indicators", ()) if isinstance(row, Mapping)]
    problems = _walk(result.get("nodes") or [], "scoring.nodes", categories, rows)
    if problems:
        raise DefinitionInvalid(problems)
    return result
