"""The satisfaction index and its precision: pure functions, no Flask, no database.

**Scale.** A rating or matrix choice scores its ``score`` if the definition gives
one, else by value on the common five-level scale (DOMAIN.md §8):
``5`` 很满意 100 · ``4`` 满意 80 · ``3`` 基本满意 60 · ``2`` 不太满意 30 · ``1`` 不满意 0.
A choice without a score (不了解, 不适用) is shown in the distribution but not scored.

**Items.** An *item* is a rating question, or one statement (row) of a matrix
question. Its key is the question id (``overall``) or ``question.row``
(``payment.timely``). Its weight is the row's ``weight``, else the question's
``weight``, else 1; weight 0 leaves an item out of the index.

**Index.** An item's score is the mean score over the valid questionnaires that
answered it; the index is the weighted mean of the item scores,
``Σ wᵢ·scoreᵢ / Σ wᵢ`` over items with at least one answer, on 0–100 (so it reads
as a percentage). Weights need not add up to anything. A jurisdiction may replace
the weights or the whole computation with the ``satisfaction_index`` hook.

**Interval.** A normal-theory interval on the mean of per-respondent scores (each
respondent's weighted mean over the items they answered):
``index ± t(0.975, n−1) · s / √n`` (Student's t for n ≤ 120, else z = 1.96), with the
finite-population correction ``√((N−n)/(N−1))`` when the population N is known
(invitation mode: the number of codes issued), clipped to [0, 100]. We do not use
Wilson's interval: it is for a proportion (yes/no), and the index is a mean of
scores. The interval is centred on the index (the item-weighted mean); the two
means are equal when every respondent answers every item.

**Sample size.** The precision the indicator claims is the distance between the
index and its target (``≥98%`` with an index of 95 needs ±3 points to tell whether
the target is met), at least ±1 and at most ±5 points; without a target, ±5. The
number needed is ``n₀ = (1.96·s/m)²`` (with the finite-population correction
``n₀ / (1 + (n₀−1)/N)``), never fewer than 30 — below that the normal approximation
and the standard deviation itself are unreliable. When fewer than two answers give
no standard deviation, s = 20 is assumed (typical on this scale).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Iterable, Mapping

from core.definitions.model import SCORED_TYPES, FormDefinition, Label

HUNDREDTH = Decimal("0.01")
Z95 = Decimal("1.96")
#: Two-sided 95% critical values of Student's t by degrees of freedom. Between
#: tabulated values the next *smaller* df is used (a slightly wider, safe interval).
T975 = {1: "12.706", 2: "4.303", 3: "3.182", 4: "2.776", 5: "2.571", 6: "2.447", 7: "2.365",
        8: "2.306", 9: "2.262", 10: "2.228", 11: "2.201", 12: "2.179", 13: "2.160", 14: "2.145",
        15: "2.131", 16: "2.120", 17: "2.110", 18: "2.101", 19: "2.093", 20: "2.086", 21: "2.080",
        22: "2.074", 23: "2.069", 24: "2.064", 25: "2.060", 26: "2.056", 27: "2.052", 28: "2.048",
        29: "2.045", 30: "2.042", 40: "2.021", 60: "2.000", 120: "1.980"}
DEFAULT_MARGIN = Decimal(5)   # ± points on the 0–100 index when the indicator names no target
MIN_MARGIN = Decimal(1)       # no survey is asked to be more precise than ±1 point
MIN_SAMPLE = 30               # below this the normal approximation is not trusted
ASSUMED_SD = Decimal(20)      # planning value when the data give no standard deviation


def q2(value: Decimal) -> Decimal:
    """Round half up to two places, as printed (95.39)."""
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def to_decimal(value) -> Decimal | None:
    """A number from SQL (float, int, Decimal) as Decimal, without binary noise."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


# --- items --------------------------------------------------------------------------------------------

def item_key(question_id: str, item_id: str = "") -> str:
    return f"{question_id}.{item_id}" if item_id else question_id


@dataclass(frozen=True)
class ScoredItem:
    """One scored item of a questionnaire (a rating, or one statement of a matrix)."""

    key: str
    question_id: str
    item_id: str
    label: Label
    question_label: Label
    weight: Decimal
    scores: Mapping[str, Decimal]  # choice value → score; unscored choices are absent


def scored_items(definition: FormDefinition) -> list[ScoredItem]:
    """The items that can count in the index, in questionnaire order."""
    items = []
    for f in definition.fields:
        if f.type not in SCORED_TYPES:
            continue
        scores = MappingProxyType({c.value: c.scored for c in f.choices if c.scored is not None})
        question_weight = f.weight if f.weight is not None else Decimal(1)
        if f.type == "rating":
            items.append(ScoredItem(f.id, f.id, "", f.label, f.label, question_weight, scores))
            continue
        for row in f.rows:
            weight = row.weight if row.weight is not None else question_weight
            items.append(ScoredItem(item_key(f.id, row.id), f.id, row.id, row.label, f.label, weight, scores))
    return items


# --- the summary the hook sees, and the index ----------------------------------------------------------

@dataclass(frozen=True)
class ItemSummary:
    """Aggregates of one item over the valid responses."""

    key: str
    question_id: str
    item_id: str
    weight: Decimal        # the definition's weight
    count: int             # valid responses that gave this item a scored answer
    mean: Decimal | None   # mean score, 0–100 (None when count is 0)


@dataclass(frozen=True)
class AnswersSummary:
    """What the ``satisfaction_index`` hook receives: valid responses and item means."""

    valid: int
    items: tuple[ItemSummary, ...] = ()

    def item(self, key: str) -> ItemSummary | None:
        return next((i for i in self.items if i.key == key), None)

    def definition_weights(self) -> dict[str, Decimal]:
        """Each item's weight as the definition gives it."""
        return {i.key: i.weight for i in self.items}

    def weighted_index(self, weights: Mapping[str, Decimal]) -> Decimal | None:
        """``Σ wᵢ·meanᵢ / Σ wᵢ`` over items with answers; None when nothing counts.

        Items missing from ``weights`` weigh 0.
        """
        numerator = denominator = Decimal(0)
        for item in self.items:
            weight = Decimal(weights.get(item.key, 0))
            if item.count and item.mean is not None and weight > 0:
                numerator += weight * item.mean
                denominator += weight
        return q2(numerator / denominator) if denominator else None


@dataclass(frozen=True)
class IndexResult:
    """The index and the weights it was computed with (the interval uses the same)."""

    value: Decimal | None
    weights: Mapping[str, Decimal] = field(default_factory=dict)


def index_result(answer) -> IndexResult | None:
    """Read a ``satisfaction_index`` hook answer: ``{"index": …, "weights": {…}}``."""
    if answer is None:
        return None
    if isinstance(answer, IndexResult):
        return answer
    value = answer.get("index")
    return IndexResult(q2(Decimal(value)) if value is not None else None,
                       {k: Decimal(v) for k, v in (answer.get("weights") or {}).items()})


def respondent_score(answers: Mapping[str, Decimal], weights: Mapping[str, Decimal]) -> Decimal | None:
    """One respondent's weighted mean over the scored items they answered.

    :param answers: item key → score.
    """
    numerator = denominator = Decimal(0)
    for key, score in answers.items():
        weight = Decimal(weights.get(key, 0))
        if weight > 0 and score is not None:
            numerator += weight * score
            denominator += weight
    return numerator / denominator if denominator else None


# --- precision -------------------------------------------------------------------------------------------

def t_critical(df: int) -> Decimal:
    """t(0.975, df) from the table (next smaller tabulated df); 1.96 above 120."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    if df > 120:
        return Z95
    return Decimal(T975[max(k for k in T975 if k <= df)])


def sample_sd(n: int, total: Decimal, total_sq: Decimal) -> Decimal | None:
    """Sample standard deviation from n, Σx and Σx² (n − 1 in the denominator)."""
    if n < 2:
        return None
    variance = (total_sq - total * total / n) / (n - 1)
    return max(variance, Decimal(0)).sqrt()


def fpc(n: int, population: int | None) -> Decimal:
    """Finite-population correction √((N−n)/(N−1)); 1 when N is unknown or too small."""
    if not population or population <= 1:
        return Decimal(1)
    if n >= population:  # everyone answered: no sampling error left
        return Decimal(0)
    return (Decimal(population - n) / Decimal(population - 1)).sqrt()


@dataclass(frozen=True)
class Interval:
    low: Decimal
    high: Decimal
    half_width: Decimal


def confidence_interval(center: Decimal, sd: Decimal | None, n: int,
                        population: int | None = None) -> Interval | None:
    """The 95% interval around ``center`` (see the module docstring); None when n < 2."""
    if center is None or sd is None or n < 2:
        return None
    half = t_critical(n - 1) * sd / Decimal(n).sqrt() * fpc(n, population)
    return Interval(q2(max(center - half, Decimal(0))), q2(min(center + half, Decimal(100))), q2(half))


def required_sample(sd: Decimal, margin: Decimal, population: int | None = None) -> int:
    """Responses needed for ±``margin`` at 95%: ``(1.96·sd/margin)²``, with the
    finite-population correction when N is known, never fewer than 30."""
    if margin <= 0:
        raise ValueError("margin must be positive")
    n0 = (Z95 * sd / margin) ** 2
    if population:
        n0 = n0 / (1 + (n0 - 1) / population)
    needed = int(n0.to_integral_value(rounding=ROUND_CEILING))
    floor = min(MIN_SAMPLE, population) if population else MIN_SAMPLE
    return max(needed, floor)


@dataclass(frozen=True)
class Precision:
    """Whether the sample supports the precision the indicator claims."""

    margin_needed: Decimal       # ± points
    half_width: Decimal | None   # ± points achieved (None when n < 2)
    n: int
    n_needed: int
    enough: bool
    verdict: str | None          # "met", "not_met", "uncertain", or None without a target


def margin_needed(index: Decimal | None, target: Decimal | None) -> Decimal:
    if index is None or target is None:
        return DEFAULT_MARGIN
    return min(max(abs(index - target), MIN_MARGIN), DEFAULT_MARGIN)


def verdict(interval: Interval | None, comparator: str | None, target: Decimal | None) -> str | None:
    """Met when the whole interval satisfies the target, not met when none of it does."""
    if interval is None or target is None or comparator is None:
        return None
    low, high = interval.low, interval.high
    if comparator in ("<", "<="):  # an upper bound (rare for satisfaction, but parseable)
        ok_all = high < target if comparator == "<" else high <= target
        ok_none = low >= target if comparator == "<" else low > target
    else:
        ok_all = low > target if comparator == ">" else low >= target
        ok_none = high <= target if comparator == ">" else high < target
    return "met" if ok_all else "not_met" if ok_none else "uncertain"


def precision(index: Decimal | None, interval: Interval | None, sd: Decimal | None, n: int,
              target: Decimal | None = None, comparator: str | None = None,
              population: int | None = None) -> Precision:
    """Compare the interval with the margin the target needs; say how many are needed."""
    margin = margin_needed(index, target)
    planning_sd = sd if sd is not None and sd > 0 else ASSUMED_SD
    needed = required_sample(planning_sd, margin, population)
    half = interval.half_width if interval is not None else None
    enough = half is not None and half <= margin and n >= needed
    return Precision(margin, half, n, needed, enough, verdict(interval, comparator, target))


def summarize_items(items: Iterable[ScoredItem], rows: Mapping[str, tuple[int, Decimal | None]],
                    valid: int) -> AnswersSummary:
    """Build the hook's summary from per-item (count, mean) aggregates keyed by item key."""
    out = []
    for item in items:
        count, mean = rows.get(item.key, (0, None))
        out.append(ItemSummary(item.key, item.question_id, item.item_id, item.weight, int(count),
                               to_decimal(mean)))
    return AnswersSummary(valid, tuple(out))


__all__ = [
    "AnswersSummary", "IndexResult", "Interval", "ItemSummary", "Precision", "ScoredItem",
    "confidence_interval", "index_result", "item_key", "precision", "q2", "required_sample",
    "respondent_score", "sample_sd", "scored_items", "summarize_items", "t_critical",
]
