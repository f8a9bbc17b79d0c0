"""Properties of the scoring engine (core/scoring) on the shipped definitions.

For Futian's and Shijiazhuang's self-evaluation and random evaluator input — numbers,
numeric and junk strings, huge and non-finite values, wrong types, missing and
unknown keys, random finals and reasons, random form fields — ``score()``:

* never raises (bad input becomes problems on the result, not exceptions);
* gives every leaf a score within [0, weight] (or none);
* gives a base within [0, max] and a total within [0, max + bonus cap];
* grades the displayed total by the definition's bands.

Input sizes are bounded by the strategies below; no timing (see bench/bench_scoring.py).
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.scoring import display, grade_for, score
from core.scoring.engine import COMPUTED_KEYS
from tests.scoring.helpers import definition, tree

DEFINITIONS = ["form_definitions/futian/self_evaluation.json", "form_definitions/shijiazhuang/self_evaluation.json"]
TREES = {path: tree(path) for path in DEFINITIONS}
# The bands as the definition files print them (highest first), read independently of the engine.
BANDS = {path: [(Decimal(str(band["min"])), band["label"]) for band in definition(path)["scoring"]["grades"]]
         for path in DEFINITIONS}

NUMBERISH = st.one_of(
    st.integers(min_value=-10**6, max_value=10**6),
    st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(["0", "5", "12", "95.39", "258.90", "1,234.50", "100%", "９５", "-3", "1e400", "9" * 60,
                     "1e-400", "Infinity", "NaN", "", " ", "abc", "十二", "0.0000001", "  7  ", "１２％"]),
    st.decimals(min_value=Decimal("1e100"), max_value=Decimal("1e300"), allow_nan=False, allow_infinity=False),
)
JUNK = st.one_of(st.none(), st.booleans(), st.text(max_size=20), st.lists(st.text(max_size=8), max_size=4),
                 st.dictionaries(st.text(max_size=4), st.integers(), max_size=2), st.binary(max_size=4))
VALUE = st.one_of(NUMBERISH, JUNK)


def leaf_inputs(tree_):
    """Per leaf: a mix of well-formed and hostile inputs for its rule."""
    def for_leaf(leaf):
        items = [item["id"] for item in leaf.rule.params.get("items", ())]
        tiers = ["achieved", "partial", "not_achieved", "达成年度指标", "unknown"]
        keyed = {
            "actual": VALUE, "target": VALUE, "final": VALUE, "score": VALUE, "count": VALUE,
            "reason": st.one_of(st.none(), st.text(max_size=20), st.integers()),
            "tier": st.one_of(st.sampled_from(tiers), VALUE),
            "checked": st.one_of(st.lists(st.sampled_from(items + ["bogus"]) if items else st.text(max_size=3),
                                          max_size=6), VALUE),
            "missing": st.one_of(st.lists(st.sampled_from(items) if items else st.text(max_size=3), max_size=3),
                                 VALUE),
            "junk_key": VALUE,
        }
        return st.one_of(
            st.fixed_dictionaries({}, optional=keyed),
            JUNK,  # the whole leaf entry is not an object
        )
    leaf_ids = [leaf.id for leaf in tree_.leaves]
    group_ids = [node_id for node_id, node in tree_.index.items() if not node.is_leaf]
    keys = st.sampled_from(leaf_ids + group_ids[:3] + sorted(COMPUTED_KEYS) + ["no_such_leaf"])
    return st.dictionaries(keys, st.deferred(lambda: st.one_of(*[for_leaf(leaf) for leaf in tree_.leaves[:1]])),
                           max_size=3).flatmap(
        lambda extra: st.fixed_dictionaries(
            {}, optional={leaf.id: for_leaf(leaf) for leaf in tree_.leaves}).map(lambda d: {**extra, **d}))


FIELD_NAMES = ["budget_initial", "budget_adjustment", "budget_full_year", "funds_arrived", "executed",
               "planned_output", "actual_output", "qualified_output", "planned_cost", "actual_cost",
               "satisfaction_rate", "valid_questionnaires", "final_accounts", "budget"]
FIELDS = st.one_of(st.none(), st.fixed_dictionaries({}, optional={name: VALUE for name in FIELD_NAMES}))


def check_invariants(tree_, result, path):
    bonus_cap = tree_.bonus.cap if tree_.bonus is not None and tree_.bonus.cap is not None else (
        sum((item.weight for item in tree_.bonus.items), Decimal(0)) if tree_.bonus is not None else Decimal(0))
    for leaf in result.leaves:
        if leaf.score is not None:
            assert isinstance(leaf.score, Decimal) and leaf.score.is_finite()
            assert 0 <= leaf.score <= leaf.weight, (leaf.id, leaf.score, leaf.weight)
    assert 0 <= result.base <= result.max == tree_.max
    assert 0 <= result.total <= tree_.max + bonus_cap
    shown = display(result.total)  # the grade follows the printed (rounded) total
    expected = next(label for minimum, label in BANDS[path] if shown >= minimum)
    assert result.grade is not None and dict(result.grade) == expected, (shown, result.grade)
    assert result.grade == grade_for(shown, tree_.grades)
    result.as_dict()  # what the pages and the CLI show is always producible


@pytest.mark.parametrize("path", DEFINITIONS)
def test_random_inputs_never_raise_and_stay_in_bounds(path):
    tree_ = TREES[path]

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.data_too_large])
    @given(inputs=leaf_inputs(tree_), fields=FIELDS)
    def run(inputs, fields):
        check_invariants(tree_, score(tree_, inputs, fields=fields), path)

    run()


@pytest.mark.parametrize("path", DEFINITIONS)
def test_random_finals_and_reasons_never_escape_the_weight(path):
    """Finals anywhere on the number line, with or without reasons, on top of valid tiers."""
    tree_ = TREES[path]
    finals = st.one_of(st.decimals(min_value=-50, max_value=150, places=2, allow_nan=False, allow_infinity=False),
                       NUMBERISH)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def run(data):
        inputs = {}
        for leaf in tree_.leaves:
            entry = {"final": data.draw(finals), "reason": data.draw(st.one_of(st.none(), st.just("酌情"), st.text()))}
            if leaf.rule.type == "qualitative":
                entry["tier"] = data.draw(st.sampled_from(["achieved", "partial", "not_achieved"]))
            if leaf.rule.type == "checklist":
                entry["checked"] = [item["id"] for item in leaf.rule.params["items"]]
            if leaf.rule.type == "manual":
                entry["score"] = data.draw(finals)
            inputs[leaf.id] = entry
        fields = {name: data.draw(NUMBERISH) for name in FIELD_NAMES}
        result = score(tree_, inputs, fields=fields)
        check_invariants(tree_, result, path)
        for leaf in result.leaves:
            if leaf.final_accepted:
                assert 0 <= leaf.final <= leaf.weight

    run()
