"""The scoring tree: a definition's ``scoring`` JSON as immutable objects.

Loading happens in two stages (after pyxform): :func:`core.scoring.schema.validate_scoring`
collects every problem with its JSON path; only a valid document is built into
:class:`ScoringTree`, with each rule's numeric parameters compiled once. Load a
definition version once and score many evaluations with the result.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping

from core.definitions.errors import DefinitionInvalid
from core.scoring.grades import GradeBand, parse_grades
from core.scoring.messages import problem, zh
from core.scoring.registry import EMPTY, Registry, RuleType
from core.scoring.values import Source, compile_source, to_decimal

SECTIONS = ("base", "bonus", "deductions")


def _freeze(value: Any) -> Any:
    # Definitions are shared between requests: nobody may change a loaded one.
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _label(value: Any) -> Mapping[str, str] | None:
    return _freeze(copy.deepcopy(value)) if isinstance(value, dict) else None


@dataclass(frozen=True)
class Rule:
    """A leaf's rule: its type id, raw parameters, the rule type that scores it, and
    what was compiled from the parameters when the tree was loaded."""

    type: str
    params: Mapping[str, Any]
    impl: RuleType
    sources: Mapping[str, Source] = field(default_factory=lambda: EMPTY)
    conditions: Mapping[str, Source] = field(default_factory=lambda: EMPTY)
    prepared: Any = None


@dataclass(frozen=True)
class Node:
    """A node of the tree: a group with ``children`` or a leaf with a ``rule``.

    ``section`` is ``base``, ``bonus`` or ``deductions``; a leaf in ``deductions``
    scores the points deducted. ``required`` leaves must be scored before the form
    is complete (default: base leaves yes, bonus and deduction items no).
    """

    id: str
    label: Mapping[str, str]
    weight: Decimal
    path: str
    section: str = "base"
    children: tuple["Node", ...] = ()
    rule: Rule | None = None
    required: bool = True
    explanation: Mapping[str, str] | None = None
    standard: Mapping[str, str] | None = None
    note: str | None = None
    goal_row: str | None = None

    @property
    def is_leaf(self) -> bool:
        """True for a node scored by a rule."""
        return self.rule is not None

    @property
    def name(self) -> str:
        """The Chinese label, used in every message about this node."""
        return zh(self.label, self.id)

    def leaves(self) -> tuple["Node", ...]:
        """This node's leaves, in document order."""
        if self.is_leaf:
            return (self,)
        return tuple(leaf for child in self.children for leaf in child.leaves())


@dataclass(frozen=True)
class Group:
    """The bonus (加分项) or deduction (减分项) group: items and a cap on their sum."""

    id: str
    label: Mapping[str, str]
    cap: Decimal | None
    items: tuple[Node, ...]

    def leaves(self) -> tuple[Node, ...]:
        """Every leaf under the group's items."""
        return tuple(leaf for item in self.items for leaf in item.leaves())


@dataclass(frozen=True)
class ScoringTree:
    """A loaded, valid ``scoring`` section."""

    max: Decimal
    nodes: tuple[Node, ...]
    bonus: Group | None
    deductions: Group | None
    grades: tuple[GradeBand, ...]
    index: Mapping[str, Node]
    leaves: tuple[Node, ...]
    """Every leaf: base leaves, then bonus items, then deduction items."""

    def node(self, node_id: str) -> Node:
        """The node with ``node_id`` (KeyError if there is none)."""
        return self.index[node_id]


def _rule(data: Mapping[str, Any], weight: Decimal, rule_type: RuleType) -> Rule:
    params = {k: v for k, v in data.items() if k != "type"}

    def compiled(declared: Mapping[str, str | None]) -> Mapping[str, Source]:
        chosen = {name: params.get(name, default) for name, default in declared.items()}
        return MappingProxyType({n: compile_source(s, n) for n, s in chosen.items() if s is not None})

    frozen = _freeze(copy.deepcopy(params))
    prepared = rule_type.prepare(frozen, weight) if rule_type.prepare else None
    return Rule(rule_type.id, frozen, rule_type, compiled(rule_type.sources),
                compiled(rule_type.conditions), prepared)


def _node(data: Mapping[str, Any], path: str, section: str, registry: Registry) -> Node:
    weight = to_decimal(data["weight"])
    children = tuple(_node(child, f"{path}.children[{i}]", section, registry)
                     for i, child in enumerate(data.get("children") or ()))
    rule = None
    if "rule" in data:
        rule = _rule(data["rule"], weight, registry[data["rule"]["type"]])
    return Node(
        id=data["id"], label=_label(data["label"]), weight=weight, path=path, section=section,
        children=children, rule=rule, required=bool(data.get("required", section == "base")),
        explanation=_label(data.get("explanation")), standard=_label(data.get("standard")),
        note=data.get("note"), goal_row=data.get("goal_row"),
    )


def _group(data: Mapping[str, Any] | None, section: str, registry: Registry) -> Group | None:
    if not data:
        return None
    items = tuple(_node(item, f"scoring.{section}.items[{i}]", section, registry)
                  for i, item in enumerate(data["items"]))
    label = _label(data.get("label")) or MappingProxyType(
        {"zh": "加分项", "en": "Bonus"} if section == "bonus" else {"zh": "减分项", "en": "Deductions"})
    return Group(section, label, to_decimal(data.get("cap")), items)


def _uninstantiated(nodes: list, path: str) -> list:
    found = []
    for index, node in enumerate(nodes):
        where = f"{path}[{index}]"
        if isinstance(node, dict) and node.get("from_goal") and not node.get("children"):
            found.append(problem(where, "not_instantiated", label=zh(node.get("label"), node.get("id", ""))))
        elif isinstance(node, dict) and isinstance(node.get("children"), list):
            found.extend(_uninstantiated(node["children"], f"{where}.children"))
    return found


def load_scoring(scoring: Mapping[str, Any], registry: Registry | None = None) -> ScoringTree:
    """Validate and build a scoring tree; raise ``DefinitionInvalid`` listing every problem.

    :param scoring: the ``scoring`` object of a definition (not modified).
    :param registry: the rule types to accept; the built-in ones by default.
    """
    from core.scoring.rules import default_registry  # rules import this module's types
    from core.scoring.schema import validate_scoring

    registry = registry if registry is not None else default_registry()
    problems = validate_scoring(scoring, registry=registry)
    if not problems:
        problems = _uninstantiated(scoring["nodes"], "scoring.nodes")
    if problems:
        raise DefinitionInvalid(problems)
    nodes = tuple(_node(n, f"scoring.nodes[{i}]", "base", registry) for i, n in enumerate(scoring["nodes"]))
    bonus = _group(scoring.get("bonus"), "bonus", registry)
    deductions = _group(scoring.get("deductions"), "deductions", registry)
    index: dict[str, Node] = {}
    stack = list(nodes) + list(bonus.items if bonus else ()) + list(deductions.items if deductions else ())
    while stack:
        node = stack.pop()
        index[node.id] = node
        stack.extend(node.children)
    leaves = [leaf for node in nodes for leaf in node.leaves()]
    for group in (bonus, deductions):
        leaves.extend(group.leaves() if group else ())
    return ScoringTree(
        max=to_decimal(scoring["max"]), nodes=nodes, bonus=bonus, deductions=deductions,
        grades=parse_grades(scoring.get("grades")), index=MappingProxyType(index), leaves=tuple(leaves),
    )
