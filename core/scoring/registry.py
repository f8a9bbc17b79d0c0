"""What a rule type is, what it returns, and the registry that refuses duplicates.

A rule type is a small pure function ``(leaf, inputs) -> RuleResult`` plus a
declaration of its parameters, so a definition can be validated before anything
is scored. Built-in types live in :mod:`core.scoring.rules`; plugins add theirs
through the ``register_scoring_rules`` hook and :func:`core.scoring.rules.build_registry`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from core.definitions.errors import Problem
from core.scoring.messages import describe_formula, problem, value_label
from core.scoring.values import InputError, Unscored, fmt

if TYPE_CHECKING:  # pragma: no cover
    from core.scoring.tree import Node

_RULE_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
EMPTY: Mapping[str, Any] = MappingProxyType({})
#: Parameters every rule type takes besides its own: ``input_labels``, {name: label} for
#: the values the rule reads (an input, a field, or a parameter written as a formula),
#: shown in messages and forms instead of the name (docs/scoring.md §3).
COMMON_PARAMS = ("input_labels",)


@dataclass(frozen=True)
class Band:
    """The scores a final may take, e.g. a qualitative tier's [12, 15] of 15 points.

    ``high_inclusive`` is false for the half-open tiers ([60%, 80%) of weight).
    """

    low: Decimal
    high: Decimal
    high_inclusive: bool = True
    label: Mapping[str, str] = field(default_factory=lambda: EMPTY)

    def __contains__(self, value: Decimal) -> bool:
        if value < self.low:
            return False
        return value <= self.high if self.high_inclusive else value < self.high

    def __str__(self) -> str:
        return f"[{fmt(self.low)}, {fmt(self.high)}{']' if self.high_inclusive else ')'}"


@dataclass(frozen=True)
class RuleResult:
    """What a rule says about one leaf.

    :param suggested: the formula's score in ``[0, weight]`` (for a deduction item,
        the points deducted), or ``None`` when the rule cannot or does not suggest
        (inputs missing, or a ``manual`` leaf).
    :param problems: errors in the inputs; they block submission.
    :param warnings: notes for the evaluator (a clamped formula, units that differ).
    :param detail: what the evaluator may want to see (rate, tier, parsed target…).
    :param band: the range a final must fall in when narrower than ``[0, weight]``.
    """

    suggested: Decimal | None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    band: Band | None = None


# (params, weight) -> [(param, reason)]: a rule type's own checks on its parameters.
ParamCheck = Callable[[Mapping[str, Any], Decimal], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class RuleType:
    """A kind of scoring rule that definitions name in ``rule.type``.

    :param id: the name used in JSON (``ratio``, ``checklist``…).
    :param score: ``(leaf, inputs) -> RuleResult``; may raise
        :class:`~core.scoring.values.Unscored` or
        :class:`~core.scoring.values.InputError`, which :meth:`run` turns into
        results. ``inputs`` holds the leaf's inputs over the form's fields.
    :param label: a bilingual one-line description for the admin UI.
    :param required: parameters a definition must give.
    :param optional: other parameters it may give.
    :param sources: numeric parameters (a number, an input name or an expression)
        mapped to their default source text, or ``None`` when they have no default;
        compiled once into ``leaf.rule.sources``.
    :param conditions: yes/no parameters, likewise, compiled into ``leaf.rule.conditions``.
    :param check: extra parameter checks, returning ``(param, reason)`` pairs.
    :param prepare: ``(params, weight) -> Any`` computed once per leaf at load time
        and kept in ``leaf.rule.prepared`` (tiers as point bands, checklist items…).
    :param inputs: the input keys the rule reads, for documentation and forms.
    """

    id: str
    score: Callable[["Node", Mapping[str, Any]], RuleResult]
    label: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    sources: Mapping[str, str | None] = field(default_factory=lambda: EMPTY)
    conditions: Mapping[str, str | None] = field(default_factory=lambda: EMPTY)
    check: ParamCheck | None = None
    prepare: Callable[[Mapping[str, Any], Decimal], Any] | None = None
    inputs: tuple[str, ...] = ()

    @property
    def params(self) -> frozenset[str]:
        """Every parameter name a definition may give (besides ``type``), with
        :data:`COMMON_PARAMS`, which every type takes."""
        return frozenset((*self.required, *self.optional, *self.sources, *self.conditions, *COMMON_PARAMS))

    def run(self, leaf: "Node", inputs: Mapping[str, Any],
            labels: Mapping[str, Any] | None = None) -> RuleResult:
        """Score ``leaf``, turning missing or bad inputs into a result, never raising.

        ``labels`` are the form's field labels (id → label): messages name every value
        by its label (:func:`label_of`), never by its id.
        """
        try:
            return self.score(leaf, inputs)
        except Unscored as missing:
            detail = {"missing": missing.key, "missing_label": label_of(leaf, missing.key, labels)}
            return RuleResult(None, detail=MappingProxyType(detail))
        except InputError as error:
            params = dict(error.params)
            if isinstance(params.get("name"), str):
                params["name"] = label_of(leaf, params["name"], labels)
            if "source" in params:
                params["source"] = describe_formula(params["source"],
                                                    lambda n: label_of(leaf, n, labels, None, by_param=False))
            found = problem(f"leaves.{leaf.id}.{error.key}", error.code, label=leaf.name, **params)
            return RuleResult(None, problems=(found,))


def label_of(leaf: "Node", name: str, labels: Mapping[str, Any] | None = None,
             default: str | None = "所需的数值", by_param: bool = True) -> str | None:
    """How messages name the value ``name`` that ``leaf``'s rule reads.

    The rule's ``input_labels``, the form's field labels, the engine's generic input
    labels; else (``by_param``) the label of the rule parameter that reads it
    (``实际完成值`` for the ``actual`` of a ``ratio``); else ``default``. Never the
    name itself.
    """
    rule = getattr(leaf, "rule", None)
    own = rule.params.get("input_labels") if rule is not None else None
    found = value_label(name, own, labels)
    if found is None and rule is not None and by_param:
        for param, source in (*rule.sources.items(), *rule.conditions.items()):
            if name in source.names:
                found = value_label(param, own, labels)
                break
    return found or default


class DuplicateRuleType(ValueError):
    """Two rule types claim the same id: start-up must stop, not pick one silently."""


def _origin(rule_type: RuleType) -> str:
    return getattr(rule_type.score, "__module__", None) or "?"


def add_rule_type(table: dict[str, RuleType], rule_type: RuleType) -> RuleType:
    """Add ``rule_type`` to ``table``; refuse a bad or duplicate id with a clear error."""
    if not isinstance(rule_type, RuleType):
        raise TypeError(f"expected a RuleType, got {rule_type!r}")
    if not _RULE_ID.match(rule_type.id):
        raise ValueError(f"scoring rule type id {rule_type.id!r} must match [a-z][a-z0-9_]*")
    if rule_type.id in table:
        raise DuplicateRuleType(
            f"scoring rule type {rule_type.id!r} is registered twice: by "
            f"{_origin(table[rule_type.id])} and by {_origin(rule_type)}")
    table[rule_type.id] = rule_type
    return rule_type


class Registry(Mapping[str, RuleType]):
    """An immutable mapping of rule type id to :class:`RuleType`."""

    __slots__ = ("_types",)

    def __init__(self, types: Mapping[str, RuleType] = EMPTY):
        self._types = MappingProxyType(dict(types))

    def __getitem__(self, key: str) -> RuleType:
        return self._types[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __repr__(self) -> str:
        return f"Registry({', '.join(self._types)})"


def flatten(rule_types: Iterable[Any]) -> Iterator[RuleType]:
    """Yield rule types from a flat iterable or from a hook's list of lists."""
    for item in rule_types:
        if isinstance(item, RuleType):
            yield item
        elif item is not None:
            yield from flatten(item)
