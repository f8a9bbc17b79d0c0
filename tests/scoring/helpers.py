"""Small builders for scoring tests, going through the same public API as the app."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from core.scoring import load_scoring, score

ROOT = Path(__file__).resolve().parents[2]


def D(value) -> Decimal:
    """Shorthand for an exact Decimal."""
    return Decimal(str(value))


def definition(path: str) -> dict:
    """A JSON definition from the repository, e.g. ``form_definitions/futian/self_evaluation.json``."""
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


def one_leaf(rule: dict, weight=10, label="测试指标") -> dict:
    """A scoring section with a single leaf ``x`` scored by ``rule``."""
    return {"max": weight, "nodes": [{"id": "x", "label": {"zh": label}, "weight": weight, "rule": rule}]}


def score_one(rule: dict, inputs: dict, weight=10, fields=None, label="测试指标"):
    """Score the single leaf ``x`` and return its :class:`LeafScore`."""
    return score(one_leaf(rule, weight, label), {"x": inputs}, fields=fields).leaf("x")


def codes(problems) -> list[str]:
    """The codes of a list of problems, for compact assertions."""
    return [p.code for p in problems]


def tree(path: str):
    """The loaded scoring tree of a repository definition."""
    return load_scoring(definition(path)["scoring"])
