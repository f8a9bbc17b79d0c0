"""The scoring formulas of national practice (DOMAIN.md §8), as plain functions.

Shared by the rule types in :mod:`core.scoring.rules` and :mod:`core.scoring.indicator`:
positive / reverse / equal indicators, and the qualitative tiers with their bands.
Every function multiplies before it divides, so 12 × 2185 / 2208 is exactly 11.875
(dividing first leaves 11.87499… and the displayed score would be 11.87).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from core.scoring.registry import Band
from core.scoring.values import HUNDRED, ZERO, InputError, Unscored, is_blank, to_decimal

TWO = Decimal(2)


# ------------------------------------------------------------ quantitative -------

def positive_score(weight: Decimal, actual: Decimal, target: Decimal) -> Decimal:
    """Higher is better: full at or above the target, else weight × actual ÷ target.

    A zero target is met by any actual ≥ 0 (there is nothing to reach).
    """
    if actual >= target:
        return weight
    if actual <= 0:
        return ZERO
    return weight * actual / target


def reverse_score(weight: Decimal, actual: Decimal, target: Decimal) -> Decimal:
    """Lower is better: full at or below the target, 0 from twice the target, linear between.

    Between target and 2 × target the score is weight × (1 − (actual − target) ÷ target),
    written as weight × (2·target − actual) ÷ target. A zero target (``0 次``) gives
    full marks only for actual ≤ 0.
    """
    if actual <= target:
        return weight
    if target <= 0 or actual >= TWO * target:
        return ZERO
    return weight * (TWO * target - actual) / target


def equal_score(weight: Decimal, actual: Decimal, target: Decimal) -> Decimal:
    """"Equal" indicators: target 0 → full only for actual ≤ 0; otherwise as positive."""
    if target == 0:
        return weight if actual <= 0 else ZERO
    return positive_score(weight, actual, target)


DIRECTIONS = {"positive": positive_score, "reverse": reverse_score, "equal": equal_score}


def rate(actual: Decimal, target: Decimal) -> Decimal | None:
    """actual ÷ target for display (``None`` for a zero target)."""
    return actual / target if target else None


# ------------------------------------------------------------- qualitative -------

@dataclass(frozen=True)
class Tier:
    """A qualitative tier: the evaluator picks it, and it fixes the allowed band."""

    id: str
    label: Mapping[str, str]
    band: Band
    suggested: Decimal


def _tier(tier_id: str, zh: str, en: str, low: int, high: int, suggest: int) -> dict[str, Any]:
    return {"id": tier_id, "label": {"zh": zh, "en": en}, "min": low, "max": high, "suggest": suggest}


# Percent of the weight. The top tier is closed ([80, 100]); the others are
# half-open ([60, 80), [0, 60)) and so have no "top": their suggestion is the
# middle of the band. Each is overridable per leaf with the rule's ``tiers``.
DEFAULT_TIERS: tuple[Mapping[str, Any], ...] = (
    _tier("achieved", "达成年度指标", "Achieved", 80, 100, 100),
    _tier("partial", "部分达成年度指标并具有一定效果", "Partly achieved, with some effect", 60, 80, 70),
    _tier("not_achieved", "未达成年度指标且效果较差", "Not achieved, poor effect", 0, 60, 30),
)


def check_tiers(tiers: Any) -> Iterable[str]:
    """Reasons a ``tiers`` list is unusable (ids, labels, 0 ≤ min < max ≤ 100, suggest in band)."""
    if not isinstance(tiers, (list, tuple)) or not tiers:
        yield "须为非空列表"
        return
    seen: set[str] = set()
    for index, tier in enumerate(tiers):
        if not isinstance(tier, Mapping) or not isinstance(tier.get("id"), str):
            yield f"第 {index + 1} 档须有编号（id）"
            continue
        if tier["id"] in seen:
            yield f"档次编号「{tier['id']}」重复"
        seen.add(tier["id"])
        low, high = to_decimal(tier.get("min")), to_decimal(tier.get("max"))
        if low is None or high is None or not ZERO <= low < high <= HUNDRED:
            yield f"档次「{tier['id']}」的 min、max 须满足 0 ≤ min < max ≤ 100（占分值的百分比）"
            continue
        suggest = to_decimal(tier.get("suggest", high if high == HUNDRED else (low + high) / TWO))
        if suggest is None or suggest not in Band(low, high, high == HUNDRED):
            yield f"档次「{tier['id']}」的建议值 suggest 须在 [{low}, {high}] 内"


def prepare_tiers(tiers: Iterable[Mapping[str, Any]] | None, weight: Decimal) -> Mapping[str, Tier]:
    """Tiers with their bands in points of ``weight``, keyed by id (document order)."""
    prepared: dict[str, Tier] = {}
    for tier in tiers or DEFAULT_TIERS:
        low, high = to_decimal(tier["min"]), to_decimal(tier["max"])
        suggest = to_decimal(tier.get("suggest", high if high == HUNDRED else (low + high) / TWO))
        label = MappingProxyType(dict(tier.get("label") or {"zh": tier["id"]}))
        band = Band(weight * low / HUNDRED, weight * high / HUNDRED, high == HUNDRED, label)
        prepared[tier["id"]] = Tier(tier["id"], label, band, weight * suggest / HUNDRED)
    return MappingProxyType(prepared)


def pick_tier(tiers: Mapping[str, Tier], inputs: Mapping[str, Any]) -> Tier:
    """The tier the evaluator chose (input ``tier``: its id or its Chinese label).

    Raises :class:`Unscored` when none was chosen, and :class:`InputError` when the
    choice is not a tier or when a final was entered without a tier — a final
    must be checked against its tier's band, so it cannot come first.
    """
    chosen = inputs.get("tier")
    if is_blank(chosen):
        if not is_blank(inputs.get("final")):
            raise InputError("tier", "tier_required", known=_tier_labels(tiers))
        raise Unscored("tier")
    text = str(chosen).strip()
    if text in tiers:
        return tiers[text]
    for tier in tiers.values():
        if tier.label.get("zh") == text:
            return tier
    raise InputError("tier", "unknown_tier", tier=text, known=_tier_labels(tiers))


def _tier_labels(tiers: Mapping[str, Tier]) -> str:
    """The tiers as the evaluator sees them, for messages (never their ids)."""
    return "、".join(tier.label.get("zh") or tier.id for tier in tiers.values())
