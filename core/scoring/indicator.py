"""The ``indicator`` rule: a leaf tied to one row of the goal form (绩效目标表).

The row's target text (``< 5 次``, ``> 80%``, ``及时``) decides how the leaf is
scored, so the same self-evaluation definition serves every project:

- a comparator ``>``/``≥`` (or a bare number, "reach this") → positive indicator;
- ``<``/``≤`` → reverse indicator (``< 5 次`` with 0 → full marks);
- ``0 次`` written without comparator → equal indicator;
- qualitative (``及时``, ``有效``) and deadline (``8月31日前``) targets → the
  evaluator picks a tier, as with the ``qualitative`` rule.

Over-achievement (actual ≥ 130% of a positive target) means the target was
probably set too low: a deviation explanation (偏差原因) becomes mandatory.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from core.definitions.targets import Target, TargetParseError, parse_actual, parse_target, restated_target
from core.scoring import formulas
from core.scoring.messages import problem
from core.scoring.registry import RuleResult, RuleType
from core.scoring.values import (
    HUNDRED, MISSING, InputError, Unscored, blank_value, display, fmt, is_blank, to_decimal,
)

DEFAULT_DEVIATION_THRESHOLD = Decimal(130)  # percent of the target, DOMAIN.md §8


@dataclass(frozen=True)
class Prepared:
    """What is fixed per leaf: the target when the definition gives it, tiers, threshold."""

    target: Target | None
    tiers: Mapping[str, formulas.Tier]
    threshold: Decimal


def _parse(raw: Any) -> Target:
    try:
        return parse_target(str(raw))
    except TargetParseError as error:
        raise InputError("target", "target_unparsed", target=raw, error=error.message) from None


def _target(prepared: Prepared, inputs: Mapping[str, Any]) -> Target:
    if prepared.target is not None:
        return prepared.target
    raw = inputs.get("target")
    if is_blank(raw):
        raise Unscored("target")
    return raw if isinstance(raw, Target) else _parse(raw)


def read_actual(raw: Any, target: Target) -> Decimal:
    """The number an actual value (实际完成值) measures — the one place scoring reads it.

    Blank is missing (the leaf is not scored yet, :func:`blank_value`); ``2185 人`` →
    2185 and ``95.39%`` → 95.39 (:func:`parse_actual`). An actual written with a
    comparator (``≥90%``, ``≥266米``, ``95%以上``) restates the target instead of
    measuring anything: refused, with a message saying what to write, so it is flagged
    on every save and keeps the form from being submitted, on the page and the API alike.
    """
    if blank_value(raw, scored=True) is MISSING:
        raise Unscored("actual")
    if isinstance(raw, str):
        restated = restated_target(raw)
        if restated is not None:
            raise InputError("actual", "actual_restates_target", value=raw.strip(),
                             example=fmt(restated.value) + (restated.unit or ""))
    number = to_decimal(raw)
    if number is None and isinstance(raw, str):
        number = parse_actual(raw)
    if number is None:
        raise InputError("actual", "actual_unparsed", value=raw, target=target.raw)
    return number


def _unit_warning(leaf, raw: Any, target: Target) -> tuple:
    # "<260 万" answered with "100%" (Futian 表1-2): a number, but not the same quantity.
    if not isinstance(raw, str) or not target.unit:
        return ()
    if (target.unit == "%") == ("%" in raw or "％" in raw):
        return ()
    return (problem(f"leaves.{leaf.id}.actual", "unit_mismatch", label=leaf.name, actual=raw, target=target.raw),)


def _deviation(leaf, inputs, actual: Decimal, target: Target, threshold: Decimal) -> tuple:
    if target.direction != "positive" or not target.value or target.value <= 0:
        return ()
    percent = actual * HUNDRED / target.value
    if percent < threshold or not is_blank(inputs.get("deviation_reason")):
        return ()
    return (problem(f"leaves.{leaf.id}.deviation_reason", "deviation_reason_required", label=leaf.name,
                    actual=actual, target=target.raw, percent=display(percent), threshold=threshold),)


def score_indicator(leaf, inputs: Mapping[str, Any]) -> RuleResult:
    """Score a goal-form row by its target's direction; qualitative targets take a tier."""
    prepared: Prepared = leaf.rule.prepared
    target = _target(prepared, inputs)
    if target.qualitative or target.value is None or target.direction not in formulas.DIRECTIONS:
        tier = formulas.pick_tier(prepared.tiers, inputs)
        detail = {"direction": target.direction, "target": target.raw, "tier": tier.id}
        return RuleResult(tier.suggested, detail=MappingProxyType(detail), band=tier.band)
    raw = inputs.get("actual")
    actual = read_actual(raw, target)
    suggested = formulas.DIRECTIONS[target.direction](leaf.weight, actual, target.value)
    detail = {"direction": target.direction, "target": target.raw, "target_value": target.value,
              "actual": actual, "rate": formulas.rate(actual, target.value)}
    return RuleResult(suggested, problems=_deviation(leaf, inputs, actual, target, prepared.threshold),
                      warnings=_unit_warning(leaf, raw, target), detail=MappingProxyType(detail))


def _check(params: Mapping[str, Any], weight: Decimal) -> Iterable[tuple[str, str]]:
    if "target" in params:
        try:
            parse_target(str(params["target"]))
        except TargetParseError as error:
            yield "target", error.message
    if "tiers" in params:
        yield from (("tiers", reason) for reason in formulas.check_tiers(params["tiers"]))
    if "deviation_threshold" in params:
        value = to_decimal(params["deviation_threshold"])
        if value is None or value <= HUNDRED:
            yield "deviation_threshold", "须为大于 100 的百分比"


def _prepare(params: Mapping[str, Any], weight: Decimal) -> Prepared:
    target = parse_target(str(params["target"])) if "target" in params else None
    threshold = to_decimal(params.get("deviation_threshold", DEFAULT_DEVIATION_THRESHOLD))
    return Prepared(target, formulas.prepare_tiers(params.get("tiers"), weight), threshold)


INDICATOR = RuleType(
    "indicator", score_indicator,
    MappingProxyType({"zh": "绩效目标表指标：按目标值的方向计分", "en": "Goal-form indicator, scored by its target"}),
    optional=("target", "tiers", "deviation_threshold"), check=_check, prepare=_prepare,
    inputs=("actual", "target", "tier", "deviation_reason"),
)
