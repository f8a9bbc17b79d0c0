"""Actual values (实际完成值) of a project's goal indicators, as recorded on its self-evaluation.

A goal row is scored either by a leaf instantiated from it (the national default:
the actual is that leaf's input) or, when the jurisdiction's scoring system is
fixed (Futian's 17 leaves), it is still reported with its actual in the goals vs
actuals table (Futian 表1-2); those actuals live in ``data["actuals"]``.
"""
from __future__ import annotations

from typing import Iterable, Mapping


def _nodes(nodes: Iterable[Mapping] | None):
    for node in nodes or ():
        yield node
        yield from _nodes(node.get("children"))


def leaf_rows(data: Mapping) -> dict[str, str]:
    """Goal row id → the id of the scoring leaf instantiated from it."""
    return {node["goal_row"]: node["id"] for node in _nodes((data.get("scoring") or {}).get("nodes"))
            if node.get("goal_row")}


def goal_actuals(data: Mapping | None) -> dict[str, str]:
    """Goal row id → actual value, from the scoring leaves and the goals vs actuals table."""
    if not data:
        return {}
    scores = data.get("scores") or {}
    found = {row: str(value) for row, value in (data.get("actuals") or {}).items() if value}
    for row, leaf in leaf_rows(data).items():
        if scores.get(leaf, {}).get("actual"):
            found[row] = str(scores[leaf]["actual"])
    return found


def unscored_rows(goal_data: Mapping | None, data: Mapping) -> list[Mapping]:
    """The approved goal's rows that no scoring leaf scores: they still get an actual value."""
    scored = leaf_rows(data)
    return [row for row in (goal_data or {}).get("indicators", []) if row.get("id") not in scored]
