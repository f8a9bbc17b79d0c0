"""The satisfaction index, its interval and the sample-size warning, on hand-computed examples."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.definitions.loader import load_definition
from core.definitions.locations import FORM_DEFINITIONS_DIR
from survey import index as ix


def summary(*items, valid=4):
    """items: (key, weight, count, mean)."""
    return ix.AnswersSummary(valid, tuple(ix.ItemSummary(k, k.split(".")[0], (k.split(".") + [""])[1], D(w), n,
                                                         D(m) if m is not None else None)
                                          for k, w, n, m in items))


def test_default_scale_and_items_of_the_futian_template():
    definition = load_definition(FORM_DEFINITIONS_DIR / "futian" / "surveys" / "retirees.json")
    items = ix.scored_items(definition)
    # five matrix statements (weight 1 each, from the question) and the overall rating (weight 2)
    assert [(i.key, i.weight) for i in items] == [
        ("payment.timely", 1), ("payment.amount", 1), ("payment.convenient", 1),
        ("payment.informed", 1), ("payment.staff", 1), ("overall", 2)]
    # 很满意 100 / 满意 80 / 基本满意 60 / 不太满意 30 / 不满意 0 (DOMAIN.md §8)
    assert dict(items[0].scores) == {"5": 100, "4": 80, "3": 60, "2": 30, "1": 0}


def test_weighted_index_by_hand():
    s = summary(("a", 1, 4, "80"), ("b", 3, 4, "60"))
    # (1·80 + 3·60) / (1 + 3) = 260 / 4 = 65.00
    assert s.weighted_index(s.definition_weights()) == D("65.00")
    # equal weights: (80 + 60) / 2 = 70.00
    assert s.weighted_index({"a": D(1), "b": D(1)}) == D("70.00")
    # an item missing from the weights weighs 0: only a counts → 80.00
    assert s.weighted_index({"a": D(1)}) == D("80.00")


def test_items_without_answers_do_not_count():
    s = summary(("a", 1, 3, "90"), ("b", 1, 0, None))
    # b has no answers: the index is a's score alone, 90.00 (not (90 + 0) / 2)
    assert s.weighted_index(s.definition_weights()) == D("90.00")
    assert summary(("a", 1, 0, None)).weighted_index({"a": D(1)}) is None


def test_futian_like_index_rounds_half_up():
    # 19 answers. overall: 17×100 + 1×60 + 1×30 = 1790 → 1790/19 = 94.2105263;
    # timely: 16×100 + 3×80 = 1840 → 1840/19 = 96.8421053. Rounded only at the end:
    # (2 × 94.2105263 + 1 × 96.8421053) / 3 = 285.2631579 / 3 = 95.0877 → 95.09
    s = summary(("overall", 2, 19, D(1790) / 19), ("payment.timely", 1, 19, D(1840) / 19), valid=19)
    assert s.weighted_index(s.definition_weights()) == D("95.09")


def test_respondent_score():
    # (1·100 + 3·60) / 4 = 280 / 4 = 70; an unweighted key is ignored
    assert ix.respondent_score({"a": D(100), "b": D(60), "c": D(0)}, {"a": D(1), "b": D(3)}) == D(70)


def test_interval_by_hand_with_student_t():
    # respondent scores 100, 80, 80, 60: n = 4, Σs = 320, Σs² = 10000 + 6400 + 6400 + 3600 = 26400
    n, total, total_sq = 4, D(320), D(26400)
    sd = ix.sample_sd(n, total, total_sq)
    # s² = (26400 − 320²/4) / 3 = (26400 − 25600) / 3 = 266.67; s = 16.3299
    assert sd.quantize(D("0.0001")) == D("16.3299")
    interval = ix.confidence_interval(D(80), sd, n)
    # t(0.975, 3) = 3.182; half = 3.182 × 16.3299 / √4 = 51.962 / 2 = 25.98
    assert interval.half_width == D("25.98")
    # 80 − 25.98 = 54.02; 80 + 25.98 = 105.98 is clipped to 100
    assert (interval.low, interval.high) == (D("54.02"), D("100.00"))


def test_interval_large_sample_uses_z_and_population_correction():
    # 200 respondents, s = 10: half = 1.96 × 10 / √200 = 19.6 / 14.1421 = 1.3859 → 1.39
    interval = ix.confidence_interval(D("90"), D(10), 200)
    assert (interval.low, interval.high, interval.half_width) == (D("88.61"), D("91.39"), D("1.39"))
    # all 200 of a population of 250 answered: × √((250 − 200) / 249) = × 0.44811 → 0.62
    corrected = ix.confidence_interval(D("90"), D(10), 200, population=250)
    assert corrected.half_width == D("0.62")
    # everyone answered: no sampling error
    assert ix.confidence_interval(D("90"), D(10), 250, population=250).half_width == D("0.00")


def test_interval_needs_two_respondents():
    assert ix.sample_sd(1, D(80), D(6400)) is None
    assert ix.confidence_interval(D(80), None, 1) is None


@pytest.mark.parametrize("df,t", [(1, "12.706"), (18, "2.101"), (30, "2.042"), (35, "2.042"),
                                  (45, "2.021"), (119, "2.000"), (120, "1.980"), (500, "1.96")])
def test_t_table_uses_the_next_smaller_df(df, t):
    assert ix.t_critical(df) == D(t)


def test_required_sample_by_hand():
    # s = 15, ±5: (1.96 × 15 / 5)² = 5.88² = 34.5744 → 35
    assert ix.required_sample(D(15), D(5)) == 35
    # s = 15, ±3: (1.96 × 15 / 3)² = 9.8² = 96.04 → 97
    assert ix.required_sample(D(15), D(3)) == 97
    # with N = 100: 96.04 / (1 + 95.04 / 100) = 96.04 / 1.9504 = 49.24 → 50
    assert ix.required_sample(D(15), D(3), population=100) == 50
    # never fewer than 30: s = 5, ±5 → 3.84 → 4, raised to 30
    assert ix.required_sample(D(5), D(5)) == 30


def test_futian_19_questionnaires_are_too_few_for_the_target():
    # Futian: 95.39% from 19 valid questionnaires against "> 80%". Suppose s = 15.
    sd = D(15)
    interval = ix.confidence_interval(D("95.39"), sd, 19)
    # t(18) = 2.101; half = 2.101 × 15 / √19 = 31.515 / 4.3589 = 7.23
    assert interval.half_width == D("7.23")
    check = ix.precision(D("95.39"), interval, sd, 19, target=D(80), comparator=">")
    # the distance to the target is 15.39 points, so ±5 (the cap) is asked for:
    # (1.96 × 15 / 5)² = 34.57 → 35 needed; 7.23 > 5 and 19 < 35 → warn
    assert (check.margin_needed, check.n_needed, check.enough) == (D(5), 35, False)
    # 88.16 – 100 lies wholly above 80: the target is met even so
    assert check.verdict == "met"


def test_target_close_to_the_index_needs_more_precision():
    # Boye's "≥98%" with an index of 95: ±3 needed; s = 15 → 97 responses
    interval = ix.confidence_interval(D(95), D(15), 400)
    # half = 1.96 × 15 / 20 = 1.47: 93.53 – 96.47, wholly below 98
    check = ix.precision(D(95), interval, D(15), 400, target=D(98), comparator=">=")
    assert (check.margin_needed, check.n_needed, check.enough, check.verdict) == (D(3), 97, True, "not_met")
    # the interval straddling the target cannot decide
    wide = ix.confidence_interval(D(97), D(15), 40)
    assert ix.precision(D(97), wide, D(15), 40, target=D(98), comparator=">=").verdict == "uncertain"


def test_without_a_target_or_an_sd():
    check = ix.precision(D(90), None, None, 1)
    # no target → ±5; no sd → s = 20 assumed: (1.96 × 20 / 5)² = 61.47 → 62
    assert (check.margin_needed, check.n_needed, check.enough, check.verdict) == (D(5), 62, False, None)


def test_index_result_reads_hook_answers():
    result = ix.index_result({"index": D("91.234"), "weights": {"a": 1}})
    assert result.value == D("91.23") and result.weights == {"a": D(1)}
    assert ix.index_result(None) is None
