"""Scoring a filled evaluation: leaves, group totals, bonus and deductions, total, grade.

Pure: no Flask, no database, no pluggy. The web app passes its hook callers in
``hooks`` (see :func:`bind_hooks`). Every score is a ``Decimal`` computed exactly;
only display rounds (two decimals, ROUND_HALF_UP) — and the grade is taken from
the rounded total, so the printed total and the printed grade always agree.
"""
from __future__ import annotations

from collections import abc
from dataclasses import dataclass, replace
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from functools import partial
from types import MappingProxyType
from typing import Any, Mapping

from core.definitions.errors import Problem
from core.scoring.grades import grade_for
from core.scoring.messages import COMPUTED_LABELS, INPUT_LABELS, problem
from core.scoring.registry import Band, Registry, label_of
from core.scoring.tree import Group, Node, ScoringTree, load_scoring
from core.scoring.values import ZERO, display, fmt, is_blank, to_decimal

# Scores never depend on the caller's decimal context: 28 digits, and arithmetic
# errors raise instead of turning into NaN.
DECIMAL_CONTEXT = Context(prec=28, traps=[InvalidOperation, DivisionByZero, Overflow])

# Keys that name computed results; typing them into inputs is refused, not ignored.
COMPUTED_KEYS = frozenset({"total", "grade", "base", "bonus", "deductions", "groups"})


@dataclass(frozen=True)
class LeafScore:
    """One leaf's outcome: the rule's suggestion, the evaluator's final, and the score used.

    ``final`` is what the evaluator entered (kept even when refused); ``score`` is
    the accepted final, else the suggestion, else ``None`` (unscored, counts as 0).
    """

    id: str
    label: Mapping[str, str]
    weight: Decimal
    section: str
    rule: str
    suggested: Decimal | None
    final: Decimal | None
    score: Decimal | None
    reason: str | None
    band: Band | None
    detail: Mapping[str, Any]
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def final_accepted(self) -> bool:
        """True when the entered final is the score used."""
        return self.final is not None and self.score == self.final


@dataclass(frozen=True)
class ScoreResult:
    """A scored evaluation. Exact ``Decimal`` values; use :meth:`as_dict` to display.

    ``bonus`` and ``deductions`` are after their caps (``*_raw`` before);
    ``total`` = clamp(base + bonus − deductions, 0, max + bonus cap), possibly
    adjusted by the ``adjust_total`` hook; ``grade`` is a label dict.
    """

    leaves: tuple[LeafScore, ...]
    groups: Mapping[str, Decimal]
    max: Decimal
    base: Decimal
    bonus: Decimal
    bonus_raw: Decimal
    deductions: Decimal
    deductions_raw: Decimal
    total: Decimal
    grade: Mapping[str, str] | None
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when nothing blocks submission (warnings do not)."""
        return not self.problems

    def leaf(self, leaf_id: str) -> LeafScore:
        """The outcome of the leaf ``leaf_id`` (KeyError if there is none)."""
        for leaf in self.leaves:
            if leaf.id == leaf_id:
                return leaf
        raise KeyError(leaf_id)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: scores as two-decimal strings, problems as dicts."""
        def text(value):
            return None if value is None else str(display(value))

        def problems(items):
            return [{"path": p.path, "message": p.message, "code": p.code} for p in items]

        leaves = [{
            "id": leaf.id, "label": dict(leaf.label), "weight": fmt(leaf.weight), "section": leaf.section,
            "rule": leaf.rule, "suggested": text(leaf.suggested), "final": text(leaf.final),
            "score": text(leaf.score), "reason": leaf.reason, "band": str(leaf.band) if leaf.band else None,
            "problems": problems(leaf.problems), "warnings": problems(leaf.warnings),
        } for leaf in self.leaves]
        return {
            "leaves": leaves, "groups": {k: text(v) for k, v in self.groups.items()},
            "max": fmt(self.max), "base": text(self.base), "bonus": text(self.bonus),
            "deductions": text(self.deductions), "total": text(self.total),
            "grade": dict(self.grade) if self.grade else None, "ok": self.ok,
            "problems": problems(self.problems), "warnings": problems(self.warnings),
        }


# ------------------------------------------------------------------- hooks -------

class bind_hooks:  # noqa: N801 - used like a function: bind_hooks(pm.hook, jurisdiction=j)
    """Hook callers with extra keyword arguments bound, e.g. the jurisdiction.

    ``score(..., hooks=bind_hooks(pm.hook, jurisdiction=j))`` — pluggy needs every
    hookspec argument by keyword, and the engine passes only the ones it knows.
    """

    def __init__(self, relay: Any, **extra: Any):
        self._relay, self._extra = relay, extra

    def __getattr__(self, name: str):
        caller = getattr(self._relay, name, None)
        return None if caller is None else partial(caller, **self._extra)


def _call_hook(hooks: Any, name: str, **kwargs: Any) -> Any:
    caller = getattr(hooks, name, None) if hooks is not None else None
    if caller is None:
        return None
    answer = caller(**kwargs)
    if isinstance(answer, list):  # a hook without firstresult: the first opinion wins
        return next((item for item in answer if item is not None), None)
    return answer


# ------------------------------------------------------------------- leaves -------

def _final(leaf: Node, entered: Mapping[str, Any], suggested: Decimal | None, band: Band | None):
    """(final, reason, accepted, problems) for what the evaluator entered."""
    reason = entered.get("reason")
    reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
    raw = entered.get("final")
    if is_blank(raw):
        return None, reason, False, ()
    path = f"leaves.{leaf.id}.final"
    final = to_decimal(raw)
    if final is None:
        return None, reason, False, (problem(path, "not_a_number", label=leaf.name,
                                             name=INPUT_LABELS["final"]["zh"], value=raw),)
    if not ZERO <= final <= leaf.weight:
        found = problem(path, "final_range", label=leaf.name, final=final, weight=leaf.weight)
    elif band is not None and final not in band:
        found = problem(path, "final_band", label=leaf.name, final=final, tier=band.label.get("zh", ""), band=band)
    elif suggested is not None and display(final) != display(suggested) and reason is None:
        found = problem(f"leaves.{leaf.id}.reason", "reason_required", label=leaf.name, final=final,
                        suggested=display(suggested))
    else:
        return final, reason, True, ()
    return final, reason, False, (found,)


def _hook_suggestion(leaf: Node, scope, suggested, detail, hooks):
    override = _call_hook(hooks, "score_indicator", leaf=leaf, inputs=scope, suggested=suggested)
    if override is None:
        return suggested, detail, ()
    value = to_decimal(override)
    if value is None or not ZERO <= value <= leaf.weight:
        return suggested, detail, (problem(f"leaves.{leaf.id}", "hook_out_of_range", label=leaf.name,
                                           value=override, weight=leaf.weight),)
    return value, MappingProxyType({**detail, "rule_suggested": suggested, "overridden": True}), ()


def score_leaf(leaf: Node, entered: Any, fields: Mapping[str, Any] | None = None, hooks: Any = None,
               labels: Mapping[str, Any] | None = None) -> LeafScore:
    """Score one leaf from its inputs (``entered``) over the form's ``fields``
    (whose ``labels`` name them in messages)."""
    problems: list[Problem] = []
    if entered is None:
        entered = {}
    elif not isinstance(entered, abc.Mapping):
        problems.append(problem(f"leaves.{leaf.id}", "inputs_not_object", label=leaf.name))
        entered = {}
    # A merged copy, not a ChainMap: a dozen fields copy faster than ChainMap looks up.
    scope = ({**fields, **entered} if entered else fields) if fields else entered
    result = leaf.rule.impl.run(leaf, scope, labels)
    problems.extend(result.problems)
    warnings = list(result.warnings)
    suggested, detail = result.suggested, result.detail
    if hooks is not None:
        suggested, detail, hook_warnings = _hook_suggestion(leaf, scope, suggested, detail, hooks)
        warnings.extend(hook_warnings)
    final, reason, accepted, final_problems = _final(leaf, entered, suggested, result.band)
    problems.extend(final_problems)
    score = final if accepted else suggested
    if score is None and leaf.required and not problems:
        missing = detail.get("missing", "final")
        shown = detail.get("missing_label") or label_of(leaf, missing, labels)
        problems.append(problem(f"leaves.{leaf.id}.{missing}", "unscored", label=leaf.name, missing=shown))
    return LeafScore(leaf.id, leaf.label, leaf.weight, leaf.section, leaf.rule.type, suggested, final, score,
                     reason, result.band, detail, tuple(problems), tuple(warnings))


# ------------------------------------------------------------------- totals -------

def _total(node: Node, leaves: Mapping[str, LeafScore], groups: dict[str, Decimal]) -> Decimal:
    if node.is_leaf:
        return leaves[node.id].score or ZERO
    total = sum((_total(child, leaves, groups) for child in node.children), ZERO)
    groups[node.id] = total
    return total


def _group_total(group: Group | None, leaves, groups) -> tuple[Decimal, Decimal, Decimal]:
    """(raw sum, capped sum, the most the group can add) for the bonus or deduction group."""
    if group is None:
        return ZERO, ZERO, ZERO
    raw = sum((_total(item, leaves, groups) for item in group.items), ZERO)
    ceiling = group.cap if group.cap is not None else sum((item.weight for item in group.items), ZERO)
    return raw, min(raw, ceiling), ceiling


def _input_problems(tree: ScoringTree, inputs: Mapping[str, Any]) -> list[Problem]:
    found = []
    for key in inputs:
        node = tree.index.get(key)
        if node is not None and not node.is_leaf:
            found.append(problem(f"leaves.{key}", "computed_not_input", label=node.name))
        elif node is None and key in COMPUTED_KEYS:
            found.append(problem(f"leaves.{key}", "total_not_input", what=COMPUTED_LABELS[key]))
        elif node is None:
            found.append(problem(f"leaves.{key}", "unknown_leaf", id=key))
    return found


def _grade(tree: ScoringTree, total: Decimal, hooks: Any) -> Mapping[str, str] | None:
    shown = display(total)
    bands = [band.as_dict() for band in tree.grades]
    chosen = _call_hook(hooks, "grade", total=shown, bands=bands)
    return chosen if chosen is not None else grade_for(shown, tree.grades)


def score(scoring: ScoringTree | Mapping[str, Any], inputs: Mapping[str, Mapping[str, Any]] | None,
          *, fields: Mapping[str, Any] | None = None, registry: Registry | None = None,
          hooks: Any = None, labels: Mapping[str, Any] | None = None) -> ScoreResult:
    """Score a filled evaluation.

    :param scoring: a loaded :class:`ScoringTree` (load once per definition version)
        or the ``scoring`` dict, which is validated and loaded first (raising
        ``DefinitionInvalid``).
    :param inputs: ``{leaf_id: {"actual": …, "checked": […], "tier": …, "final": …,
        "reason": …}}``. Totals and grades are never inputs.
    :param fields: the form's field values (budget figures…), visible to every
        leaf's numeric parameters; a leaf's own inputs shadow them.
    :param registry: rule types, when ``scoring`` is a dict using plugin rules.
    :param hooks: an object with optional ``score_indicator``, ``adjust_total`` and
        ``grade`` callables, called with keyword arguments (see :func:`bind_hooks`).
    :param labels: the form's field labels (id → ``{"zh": …}`` or text): messages
        name a field by its label, never by its id.
    :return: a :class:`ScoreResult`; ``problems`` name the indicator and the path
        ``leaves.<id>.<input>``.
    """
    tree = scoring if isinstance(scoring, ScoringTree) else load_scoring(scoring, registry)
    with localcontext(DECIMAL_CONTEXT):
        return _score(tree, inputs or {}, fields, hooks, labels)


def _score(tree: ScoringTree, inputs: Mapping[str, Any], fields: Mapping[str, Any] | None,
           hooks: Any, labels: Mapping[str, Any] | None = None) -> ScoreResult:
    problems = _input_problems(tree, inputs)
    leaves = {leaf.id: score_leaf(leaf, inputs.get(leaf.id), fields, hooks, labels) for leaf in tree.leaves}
    groups: dict[str, Decimal] = {}
    base = sum((_total(node, leaves, groups) for node in tree.nodes), ZERO)
    bonus_raw, bonus, bonus_ceiling = _group_total(tree.bonus, leaves, groups)
    deductions_raw, deductions, _ = _group_total(tree.deductions, leaves, groups)
    total = min(max(base + bonus - deductions, ZERO), tree.max + bonus_ceiling)
    ordered = tuple(leaves.values())
    for leaf in ordered:
        problems.extend(leaf.problems)
    result = ScoreResult(
        leaves=ordered, groups=MappingProxyType(groups), max=tree.max, base=base, bonus=bonus,
        bonus_raw=bonus_raw, deductions=deductions, deductions_raw=deductions_raw, total=total, grade=None,
        problems=tuple(problems), warnings=tuple(w for leaf in ordered for w in leaf.warnings),
    )
    adjusted = to_decimal(_call_hook(hooks, "adjust_total", result=result))
    if adjusted is not None:
        result = replace(result, total=adjusted)
    return replace(result, grade=_grade(tree, result.total, hooks))
