"""The built-in scoring rule types, one small function each, and their registry.

A rule scores one leaf from its inputs and returns a :class:`RuleResult` whose
``suggested`` lies in ``[0, weight]``; in the deduction group it is the number of
points deducted. Rules raise :class:`Unscored` for an input not yet entered and
:class:`InputError` for a bad one; :meth:`RuleType.run` turns both into results.
See ``docs/scoring.md`` for every type's parameters and inputs.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from core.scoring import formulas
from core.scoring.indicator import INDICATOR
from core.scoring.messages import problem, zh
from core.scoring.registry import Registry, RuleResult, RuleType, add_rule_type, flatten
from core.scoring.tree import Node
from core.scoring.values import (
    ZERO, InputError, Unscored, evaluate_condition, evaluate_number, is_blank, to_count, to_decimal,
)

RULES: dict[str, RuleType] = {}


def register(rule_type: RuleType) -> RuleType:
    """Add a built-in rule type to :data:`RULES`; a duplicate id raises at import."""
    return add_rule_type(RULES, rule_type)


def build_registry(extra_rule_types: Iterable[Any] = ()) -> Registry:
    """The built-in rule types plus ``extra_rule_types`` (e.g. the results of the
    ``register_scoring_rules`` hook, a list of lists); a duplicate id raises
    :class:`~core.scoring.registry.DuplicateRuleType` naming both modules."""
    table = dict(RULES)
    for rule_type in flatten(extra_rule_types):
        add_rule_type(table, rule_type)
    return Registry(table)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry of built-in rule types (shared: registries are immutable)."""
    return build_registry()


# ----------------------------------------------------------------- helpers --------

def _result(suggested: Decimal | None, band=None, warnings=(), **detail: Any) -> RuleResult:
    return RuleResult(suggested, warnings=tuple(warnings), detail=MappingProxyType(detail), band=band)


def _number(leaf: Node, param: str, inputs: Mapping[str, Any]) -> Decimal:
    return evaluate_number(leaf.rule.sources[param], inputs)


def _named(leaf: Node, param: str) -> str:
    """What a message calls the value of ``param``: its field or input (a bare name), else
    the parameter itself (a formula) — both shown by their labels (registry.label_of)."""
    source = leaf.rule.sources.get(param)
    return source.name if source is not None and source.name else param


def _actual_target(leaf: Node, inputs: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    actual, target = _number(leaf, "actual", inputs), _number(leaf, "target", inputs)
    if target < 0:
        raise InputError("target", "target_negative", target=target, name=_named(leaf, "target"))
    return actual, target


def _clamp(value: Decimal, weight: Decimal) -> Decimal:
    return max(ZERO, min(value, weight))


def _number_param(params: Mapping[str, Any], name: str, minimum: Decimal = ZERO) -> Iterable[tuple[str, str]]:
    if name in params:
        value = to_decimal(params[name])
        if value is None or value < minimum:
            yield name, f"须为不小于 {minimum} 的数字"


def _items_check(params: Mapping[str, Any], weight: Decimal, points_required: bool) -> Iterable[tuple[str, str]]:
    items = params.get("items")
    if not isinstance(items, (list, tuple)) or not items:
        yield "items", "须为非空列表"
        return
    ids = [item.get("id") if isinstance(item, Mapping) else None for item in items]
    if any(not isinstance(i, str) or not i for i in ids) or len(set(ids)) != len(ids):
        yield "items", "每一项须有唯一的编号（id）"
    if any(not isinstance(item, Mapping) or not isinstance(item.get("label"), Mapping)
           or not item["label"].get("zh") for item in items):
        yield "items", "每一项须有中文名称（label.zh）"
    points = [to_decimal(item.get("points")) if isinstance(item, Mapping) else None for item in items]
    given = [p for p, item in zip(points, items) if isinstance(item, Mapping) and "points" in item]
    if points_required and len(given) != len(items):
        yield "items", "每一项须有分值（points）"
    elif given and len(given) != len(items):
        yield "items", "分值（points）须每一项都写，或都不写（均分）"
    elif any(p is None or p < 0 for p in given):
        yield "items", "分值（points）须为不小于 0 的数字"
    elif given and not points_required and sum(given, ZERO) > weight:
        yield "items", f"各项分值之和 {sum(given, ZERO)} 超过指标分值 {weight}"


# -------------------------------------------------------- quantitative rules ------

def score_ratio(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """Positive indicator: min(actual ÷ target, 1) × weight.

    A zero target leaves the rate undefined (0 ÷ 0 reads 0.00%, not 100%): a budget of 0
    never scores full marks — the leaf is not scored and says why (「全年预算数为 0，
    无法计算预算执行率」), which keeps the form from being submitted.
    """
    actual, target = _actual_target(leaf, inputs)
    if target == 0:
        raise InputError("target", "target_zero", target=target, name=_named(leaf, "target"))
    suggested = formulas.positive_score(leaf.weight, actual, target)
    return _result(suggested, actual=actual, target=target, rate=formulas.rate(actual, target))


def score_reverse(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """Reverse indicator (lower is better), see :func:`formulas.reverse_score`."""
    actual, target = _actual_target(leaf, inputs)
    suggested = formulas.reverse_score(leaf.weight, actual, target)
    return _result(suggested, actual=actual, target=target, rate=formulas.rate(actual, target))


def score_equal(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """"Equal" indicator: target 0 → full only if actual ≤ 0; otherwise as ratio."""
    actual, target = _actual_target(leaf, inputs)
    suggested = formulas.equal_score(leaf.weight, actual, target)
    return _result(suggested, actual=actual, target=target, rate=formulas.rate(actual, target))


def score_proportional(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """done ÷ required × weight; with ``deduct``, weight − not_done ÷ required × weight."""
    deduct = bool(leaf.rule.params.get("deduct"))
    part = _number(leaf, "not_done" if deduct else "done", inputs)
    required = _number(leaf, "required", inputs)
    if required < 0:
        raise InputError("required", "required_zero", required=required)
    if required == 0:  # nothing was required, so nothing is missing
        return _result(leaf.weight, part=part, required=required)
    share = leaf.weight * part / required
    suggested = _clamp(leaf.weight - share if deduct else share, leaf.weight)
    return _result(suggested, part=part, required=required)


def score_threshold_deduction(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """Points deducted by the first band whose ``min`` the value reaches (a fixed
    ``deduct``, or ``per_point`` × (``below`` − value)), capped at the weight."""
    value = _number(leaf, "value", inputs)
    for band in leaf.rule.prepared:
        if value >= band["min"]:
            if "deduct" in band:
                deducted = band["deduct"]
            else:
                deducted = band["per_point"] * max(ZERO, band["below"] - value)
            return _result(_clamp(deducted, leaf.weight), value=value, band_min=band["min"])
    raise InputError("value", "no_band", value=value)


def score_expression(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """An expression over inputs, clamped to [0, weight] with a warning when clamped."""
    value = _number(leaf, "expression", inputs)
    clamped = _clamp(value, leaf.weight)
    warnings = ()
    if clamped != value:
        warnings = (problem(f"leaves.{leaf.id}.expression", "clamped", label=leaf.name, value=value,
                            weight=leaf.weight, clamped=clamped),)
    return _result(clamped, warnings=warnings, value=value)


# ---------------------------------------------------------- judgement rules -------

def score_qualitative(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """The evaluator picks a tier; the suggestion is the tier's and the final must stay in its band."""
    tier = formulas.pick_tier(leaf.rule.prepared, inputs)
    return _result(tier.suggested, band=tier.band, tier=tier.id)


def _item_labels(leaf: Node) -> str:
    """The items a checklist or a counted rule knows, by their labels, for messages."""
    return "、".join(f"「{zh(item.get('label'), '')}」" for item in leaf.rule.params.get("items") or ())


def _id_list(value: Any, key: str) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]
    if isinstance(value, Mapping):  # {"lawful": true, "duplicate": false}
        return [str(k) for k, flag in value.items() if flag]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in value]
    raise InputError(key, "items_invalid")


def score_checklist(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """n items; each missing item loses its points (weight ÷ n unless ``points`` given)."""
    items, points = leaf.rule.prepared
    checked_raw, missing_raw = inputs.get("checked"), inputs.get("missing")
    if checked_raw is not None and missing_raw is not None:
        raise InputError("checked", "checked_and_missing")
    if checked_raw is None and missing_raw is None:
        raise Unscored("checked")
    key = "checked" if checked_raw is not None else "missing"
    given = _id_list(checked_raw if key == "checked" else missing_raw, key)
    for item in given:
        if item not in items:
            raise InputError(key, "unknown_item", item=item, known=_item_labels(leaf))
    checked = tuple(i for i in items if (i in given) == (key == "checked"))
    if points is None:  # equal shares, computed exactly: 3 × 2 ÷ 3 is 2, not 1.9998
        suggested = leaf.weight * len(checked) / len(items)
    else:
        suggested = min(leaf.weight, sum((points[i] for i in checked), ZERO))
    missing = tuple(i for i in items if i not in checked)
    return _result(suggested, checked=checked, missing=missing)


def score_per_occurrence(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """Start from ``base`` (default: the weight), lose ``per`` for each occurrence, floor 0."""
    params = leaf.rule.params
    count = _count(inputs, "count")
    counted = min(count, int(params["max_count"])) if "max_count" in params else count
    base = min(to_decimal(params.get("base", leaf.weight)), leaf.weight)
    suggested = max(ZERO, base - to_decimal(params["per"]) * counted)
    return _result(suggested, count=count)


def _count(inputs: Mapping[str, Any], key: str) -> int:
    raw = inputs.get(key)
    if is_blank(raw):
        raise Unscored(key)
    count = to_count(raw)
    if count is None:
        raise InputError(key, "count_invalid", value=raw)
    return count


def score_counted(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """Points per counted event (one kind with ``per``, or several ``items``), up to the weight."""
    items = leaf.rule.prepared
    if items is None:
        count = _count(inputs, "count")
        total = to_decimal(leaf.rule.params["per"]) * count
        return _result(min(total, leaf.weight), count=count, uncapped=total)
    counts = inputs.get("counts")
    if counts is None:
        raise Unscored("counts")
    if not isinstance(counts, Mapping):
        raise InputError("counts", "items_invalid")
    for item in counts:
        if item not in items:
            raise InputError("counts", "unknown_item", item=item, known=_item_labels(leaf))
    parsed = {item: _count(counts, item) for item in items if not is_blank(counts.get(item))}
    total = sum((items[item] * n for item, n in parsed.items()), ZERO)
    return _result(min(total, leaf.weight), counts=MappingProxyType(parsed), uncapped=total)


def score_all_or_nothing(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """Condition met → the weight, else 0."""
    met = evaluate_condition(leaf.rule.conditions["condition"], inputs)
    return _result(leaf.weight if met else ZERO, met=met)


def score_manual(leaf: Node, inputs: Mapping[str, Any]) -> RuleResult:
    """The evaluator's own score (input ``score``, or just ``final``), within [0, weight]."""
    raw = inputs.get("score")
    if is_blank(raw):
        raise Unscored("final")
    value = to_decimal(raw)
    if value is None:
        raise InputError("score", "not_a_number", name="score", value=raw)
    if not ZERO <= value <= leaf.weight:
        raise InputError("score", "score_range", value=value, weight=leaf.weight)
    return _result(value)


# ------------------------------------------------------ parameter preparation ------

def _check_threshold(params: Mapping[str, Any], weight: Decimal) -> Iterable[tuple[str, str]]:
    bands = params.get("bands")
    if not isinstance(bands, (list, tuple)) or not bands:
        yield "bands", "须为非空列表"
        return
    previous = None
    for index, band in enumerate(bands):
        where = f"bands[{index}]"
        minimum = to_decimal(band.get("min")) if isinstance(band, Mapping) else None
        if minimum is None:
            yield where, "须有数字 min（该档下限，含）"
            continue
        if previous is not None and minimum >= previous:
            yield where, "各档须按 min 从高到低排列"
        previous = minimum
        fixed, per, below = (to_decimal(band.get(k)) for k in ("deduct", "per_point", "below"))
        if not ((fixed is not None and fixed >= 0) or (per is not None and per >= 0 and below is not None)):
            yield where, "须写固定扣分 deduct，或每点扣分 per_point 与基准 below"


def _prepare_threshold(params: Mapping[str, Any], weight: Decimal) -> tuple[Mapping[str, Decimal], ...]:
    return tuple(MappingProxyType({k: to_decimal(v) for k, v in band.items() if k in
                                   ("min", "deduct", "per_point", "below")}) for band in params["bands"])


def _check_checklist(params: Mapping[str, Any], weight: Decimal) -> Iterable[tuple[str, str]]:
    return _items_check(params, weight, points_required=False)


def _prepare_checklist(params: Mapping[str, Any], weight: Decimal):
    items = tuple(item["id"] for item in params["items"])
    if all("points" in item for item in params["items"]):
        return items, MappingProxyType({item["id"]: to_decimal(item["points"]) for item in params["items"]})
    return items, None


def _prepare_counted(params: Mapping[str, Any], weight: Decimal):
    if "items" not in params:
        return None
    return MappingProxyType({item["id"]: to_decimal(item["points"]) for item in params["items"]})


def _check_counted(params: Mapping[str, Any], weight: Decimal) -> Iterable[tuple[str, str]]:
    if ("items" in params) == ("per" in params):
        yield "per", "须写 per（每次分值）或 items（各类事项及其分值）之一"
    elif "items" in params:
        yield from _items_check(params, weight, points_required=True)
    else:
        yield from _number_param(params, "per")


def _check_per_occurrence(params: Mapping[str, Any], weight: Decimal) -> Iterable[tuple[str, str]]:
    yield from _number_param(params, "per")
    yield from _number_param(params, "base")
    base = to_decimal(params.get("base"))
    if base is not None and base > weight:
        yield "base", f"起始分 {base} 不能超过指标分值 {weight}"
    if "max_count" in params and to_count(params["max_count"]) is None:
        yield "max_count", "须为不小于 0 的整数"


def _check_qualitative(params: Mapping[str, Any], weight: Decimal) -> Iterable[tuple[str, str]]:
    if "tiers" in params:
        yield from (("tiers", reason) for reason in formulas.check_tiers(params["tiers"]))


def _prepare_qualitative(params: Mapping[str, Any], weight: Decimal):
    return formulas.prepare_tiers(params.get("tiers"), weight)


# ------------------------------------------------------------ registration -------

def _label(zh: str, en: str) -> Mapping[str, str]:
    return MappingProxyType({"zh": zh, "en": en})


ACTUAL_TARGET = MappingProxyType({"actual": "actual", "target": "target"})

for _rule_type in (
    RuleType("ratio", score_ratio, _label("正向指标：实际值÷目标值×分值，最高满分", "Positive: min(actual/target, 1) × weight"),
             sources=ACTUAL_TARGET, inputs=("actual", "target")),
    RuleType("reverse", score_reverse, _label("反向指标：越低越好", "Reverse: lower is better"),
             sources=ACTUAL_TARGET, inputs=("actual", "target")),
    RuleType("equal", score_equal, _label("等于型指标", "Equal: target 0 means none at all"),
             sources=ACTUAL_TARGET, inputs=("actual", "target")),
    RuleType("qualitative", score_qualitative, _label("定性指标：选择达成档次", "Qualitative: pick a tier"),
             optional=("tiers",), check=_check_qualitative, prepare=_prepare_qualitative, inputs=("tier",)),
    RuleType("checklist", score_checklist, _label("核查清单：每缺一项扣相应分值", "Checklist: each missing item loses its share"),
             required=("items",), check=_check_checklist,
             prepare=_prepare_checklist, inputs=("checked", "missing")),
    RuleType("per_occurrence", score_per_occurrence, _label("按次扣分，扣完为止", "Deduct per occurrence, floor 0"),
             required=("per",), optional=("base", "max_count"), check=_check_per_occurrence, inputs=("count",)),
    RuleType("counted", score_counted, _label("按次（项）计分，最高为分值", "Points per counted event, up to the weight"),
             optional=("per", "items"), check=_check_counted, prepare=_prepare_counted, inputs=("count", "counts")),
    RuleType("all_or_nothing", score_all_or_nothing, _label("达到得满分，否则不得分", "All or nothing"),
             conditions=MappingProxyType({"condition": "met"}), inputs=("met",)),
    RuleType("proportional", score_proportional, _label("按完成比例计分", "Proportional: done ÷ required"),
             optional=("deduct",),
             sources=MappingProxyType({"done": "done", "not_done": "not_done", "required": "required"}),
             inputs=("done", "not_done", "required")),
    RuleType("threshold_deduction", score_threshold_deduction, _label("分档扣分", "Deduction by bands"),
             required=("bands",), sources=MappingProxyType({"value": "value"}), check=_check_threshold,
             prepare=_prepare_threshold, inputs=("value",)),
    RuleType("manual", score_manual, _label("评价人直接打分", "Manual score"), inputs=("score", "final")),
    RuleType("expression", score_expression, _label("公式计分", "Expression"), required=("expression",),
             sources=MappingProxyType({"expression": None}), inputs=()),
    INDICATOR,
):
    register(_rule_type)
