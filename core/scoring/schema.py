"""Validation of a definition's ``scoring`` section: every problem, with its JSON path.

Checks split by concern: the shape of each node; weights (a node's weight equals
the sum of its children's, level-1 weights sum to ``max``); rules (known type,
required parameters, expressions that compile); groups (caps ≥ 0); grade bands.
Ids are unique across the whole section. The format has no references between
nodes (a tree is written nested), so there are no cycles to look for.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Mapping

from core.definitions.errors import Problem
from core.definitions.expressions import ExpressionError
from core.scoring.grades import validate_grades
from core.scoring.messages import problem, zh
from core.scoring.registry import Registry
from core.scoring.values import ZERO, compile_source, to_decimal

_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
TOP_KEYS = ("max", "nodes", "bonus", "deductions", "grades", "label", "note")
NODE_KEYS = ("id", "label", "weight", "children", "rule", "explanation", "standard", "note",
             "required", "from_goal", "goal_row")
GROUP_KEYS = ("label", "cap", "items", "note")


class _Context:
    """What a walk over the tree accumulates: problems and the ids seen so far."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.problems: list[Problem] = []
        self.ids: dict[str, str] = {}

    def add(self, path: str, code: str, **params: Any) -> None:
        self.problems.append(problem(path, code, **params))


def _unknown_keys(data: Mapping, allowed: tuple[str, ...], path: str, ctx: _Context) -> None:
    for key in data:
        if key not in allowed:
            ctx.add(f"{path}.{key}", "unknown_key", key=key, known=", ".join(allowed))


def _check_id(data: Mapping, path: str, ctx: _Context) -> None:
    node_id = data.get("id")
    if not isinstance(node_id, str) or not _ID.match(node_id):
        ctx.add(f"{path}.id", "id_invalid", id=node_id)
    elif node_id in ctx.ids:
        ctx.add(f"{path}.id", "duplicate_id", id=node_id, first=ctx.ids[node_id])
    else:
        ctx.ids[node_id] = path


def _check_weight(data: Mapping, path: str, name: str, ctx: _Context) -> Decimal | None:
    if "weight" not in data:
        ctx.add(f"{path}.weight", "weight_missing", label=name)
        return None
    weight = to_decimal(data["weight"])
    if weight is None or weight < 0:
        ctx.add(f"{path}.weight", "weight_invalid", label=name, value=data["weight"])
        return None
    return weight


def _check_source(spec: Any, path: str, name: str, type_id: str, ctx: _Context) -> None:
    try:
        compile_source(spec)
    except ExpressionError as error:
        # ExpressionError positions are 0-based; people count characters from 1.
        position = "?" if error.position is None else error.position + 1
        ctx.add(path, "expression_invalid", label=name, source=spec, position=position, error=error.message)
    except ValueError:
        ctx.add(path, "param_invalid", label=name, type=type_id, param=path.rsplit(".", 1)[-1],
                reason="须为数字、输入项名称或表达式")


def _check_rule(rule: Any, path: str, name: str, weight: Decimal | None, ctx: _Context) -> None:
    if not isinstance(rule, dict):
        ctx.add(path, "not_object")
        return
    type_id = rule.get("type")
    if not type_id:
        ctx.add(f"{path}.type", "rule_missing_type", label=name)
        return
    rule_type = ctx.registry.get(type_id)
    if rule_type is None:
        ctx.add(f"{path}.type", "unknown_rule", label=name, type=type_id, known=", ".join(sorted(ctx.registry)))
        return
    for param in rule_type.required:
        if param not in rule:
            ctx.add(f"{path}.{param}", "param_required", label=name, type=type_id, param=param)
    _unknown_keys(rule, ("type", *sorted(rule_type.params)), path, ctx)
    for param in (*rule_type.sources, *rule_type.conditions):
        if param in rule:
            _check_source(rule[param], f"{path}.{param}", name, type_id, ctx)
    if "input_labels" in rule:
        _check_input_labels(rule["input_labels"], f"{path}.input_labels", name, type_id, ctx)
    if rule_type.check is not None and weight is not None:
        for param, reason in rule_type.check(rule, weight):
            ctx.add(f"{path}.{param}", "param_invalid", label=name, type=type_id, param=param, reason=reason)


def _check_input_labels(labels: Any, path: str, name: str, type_id: str, ctx: _Context) -> None:
    # {name: {"zh": …}}: how messages and forms name the values the rule reads
    if not isinstance(labels, dict) or not all(isinstance(k, str) and zh(v) for k, v in labels.items()):
        ctx.add(path, "param_invalid", label=name, type=type_id, param="input_labels",
                reason="须为对象：输入项或参数名 → 名称（含中文 zh）")


def _check_from_goal(data: Mapping, path: str, name: str, ctx: _Context) -> None:
    # A from_goal node is a template: instantiate_from_goal() writes its children
    # (and keeps from_goal for the record), so children may or may not be present.
    spec = data["from_goal"]
    if not isinstance(spec, dict) or not isinstance(spec.get("level1"), str):
        ctx.add(f"{path}.from_goal", "from_goal_invalid", label=name)


def _check_node(data: Any, path: str, ctx: _Context) -> Decimal | None:
    """Check one node and its subtree; return its weight when it is usable."""
    if not isinstance(data, dict):
        ctx.add(path, "not_object")
        return None
    _unknown_keys(data, NODE_KEYS, path, ctx)
    _check_id(data, path, ctx)
    name = zh(data.get("label"), str(data.get("id", "")))
    if not zh(data.get("label")):
        ctx.add(f"{path}.label", "label_missing")
    weight = _check_weight(data, path, name, ctx)
    if "required" in data and not isinstance(data["required"], bool):
        ctx.add(f"{path}.required", "not_boolean", label=name)
    children = data.get("children")
    if "from_goal" in data:
        _check_from_goal(data, path, name, ctx)
    if "rule" in data and children:
        ctx.add(path, "children_and_rule", label=name)
    elif "rule" not in data and not children and "from_goal" not in data:
        ctx.add(path, "no_children", label=name)
    if "rule" in data and not children:
        _check_rule(data["rule"], f"{path}.rule", name, weight, ctx)
    if children is not None and not isinstance(children, list):
        ctx.add(f"{path}.children", "not_list")
    elif children:
        total = _check_nodes(children, f"{path}.children", ctx)
        if weight is not None and total is not None and total != weight:
            ctx.add(f"{path}.weight", "sum_mismatch", label=name, weight=weight, total=total)
    return weight


def _check_nodes(nodes: list, path: str, ctx: _Context) -> Decimal | None:
    """Check sibling nodes; their weight sum, or ``None`` if any weight is unusable."""
    weights = [_check_node(node, f"{path}[{i}]", ctx) for i, node in enumerate(nodes)]
    return None if any(w is None for w in weights) else sum(weights, ZERO)


def _check_group(data: Any, section: str, ctx: _Context) -> None:
    path = f"scoring.{section}"
    if not isinstance(data, dict):
        ctx.add(path, "not_object")
        return
    _unknown_keys(data, GROUP_KEYS, path, ctx)
    name = zh(data.get("label"), "加分项" if section == "bonus" else "减分项")
    if "cap" in data:
        cap = to_decimal(data["cap"])
        if cap is None or cap < 0:
            ctx.add(f"{path}.cap", "cap_invalid", label=name, value=data["cap"])
    items = data.get("items")
    if not isinstance(items, list) or not items:
        ctx.add(f"{path}.items", "not_list")
        return
    _check_nodes(items, f"{path}.items", ctx)


def validate_scoring(scoring: Any, path: str = "scoring", registry: Registry | None = None) -> list[Problem]:
    """Every problem in a ``scoring`` section, each naming its JSON path.

    :param scoring: the section as parsed JSON.
    :param path: the prefix for paths (``scoring`` inside a definition).
    :param registry: the rule types to accept; the built-in ones by default.
    :return: problems, empty when the section is valid.
    """
    from core.scoring.rules import default_registry  # rules import the tree's types

    ctx = _Context(registry if registry is not None else default_registry())
    if not isinstance(scoring, dict):
        return [problem(path, "not_object")]
    _unknown_keys(scoring, TOP_KEYS, "scoring", ctx)
    maximum = to_decimal(scoring.get("max"))
    if maximum is None or maximum <= 0:
        ctx.add("scoring.max", "max_invalid", value=scoring.get("max"))
    nodes = scoring.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        ctx.add("scoring.nodes", "not_list")
    else:
        total = _check_nodes(nodes, "scoring.nodes", ctx)
        if total is not None and maximum is not None and total != maximum:
            ctx.add("scoring.max", "max_mismatch", total=total, max=maximum)
    for section in ("bonus", "deductions"):
        if scoring.get(section) is not None:
            _check_group(scoring[section], section, ctx)
    if scoring.get("grades") is not None:
        ctx.problems.extend(validate_grades(scoring["grades"], "scoring.grades"))
    if path != "scoring":
        return [type(p)(path + p.path[len("scoring"):], p.message, p.code) for p in ctx.problems]
    return ctx.problems
