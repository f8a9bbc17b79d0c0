"""The rule registry: built-ins, plugin rule types, duplicates refused."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.scoring import RULES, DuplicateRuleType, RuleResult, RuleType, build_registry, score, validate_scoring
from core.scoring.values import to_decimal


def score_double(leaf, inputs):
    """A plugin rule: twice the input ``value``, capped at the weight."""
    return RuleResult(min(leaf.weight, to_decimal(inputs["value"]) * 2))


DOUBLE = RuleType("double", score_double, {"zh": "两倍"}, inputs=("value",))
SCORING = {"max": 10, "nodes": [{"id": "x", "label": {"zh": "插件指标"}, "weight": 10, "rule": {"type": "double"}}]}


def test_the_built_in_rule_types():
    assert set(RULES) == {"ratio", "reverse", "equal", "qualitative", "checklist", "per_occurrence", "counted",
                          "all_or_nothing", "proportional", "threshold_deduction", "manual", "expression",
                          "indicator"}
    assert all(rule_type.label.get("zh") for rule_type in RULES.values())


def test_a_plugin_rule_type_is_usable_only_through_its_registry():
    registry = build_registry([[DOUBLE]])  # the shape of a register_scoring_rules hook result
    assert validate_scoring(SCORING, registry=registry) == []
    assert score(SCORING, {"x": {"value": 3}}, registry=registry).total == Decimal(6)
    assert validate_scoring(SCORING)[0].code == "unknown_rule"


def test_a_duplicate_id_is_refused_naming_both_modules():
    with pytest.raises(DuplicateRuleType) as caught:
        build_registry([RuleType("ratio", score_double)])
    assert str(caught.value) == (
        "scoring rule type 'ratio' is registered twice: by core.scoring.rules and by tests.scoring.test_registry")


def test_two_plugins_with_the_same_id():
    with pytest.raises(DuplicateRuleType):
        build_registry([[DOUBLE], [DOUBLE]])


def test_a_bad_id_is_refused():
    with pytest.raises(ValueError, match="must match"):
        build_registry([RuleType("Double-It", score_double)])


def test_the_registry_is_read_only():
    registry = build_registry([DOUBLE])
    with pytest.raises(TypeError):
        registry["x"] = DOUBLE  # type: ignore[index]
    assert "double" not in RULES


def test_plugin_rule_errors_become_problems():
    def needs_value(leaf, inputs):
        from core.scoring.values import InputError
        raise InputError("value", "not_a_number", name="value", value=inputs.get("value"))

    registry = build_registry([RuleType("picky", needs_value)])
    scoring = {"max": 1, "nodes": [{"id": "x", "label": {"zh": "挑剔"}, "weight": 1, "rule": {"type": "picky"}}]}
    result = score(scoring, {"x": {"value": "?"}}, registry=registry)
    assert result.problems[0].message == "「挑剔」的「数值」值「?」不是数字"
