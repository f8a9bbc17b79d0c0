"""Progress arithmetic of 双监控: planned and actual execution, indicator progress.

Pure functions over ``Decimal``; no Flask, no database.

* **Planned rate** at the end of month m comes from the project's own spending plan
  (the approved goal form's cumulative milestones), interpolated linearly between
  milestones from 0 % at the start of the year; after the last milestone it stays
  at that milestone's value. A project without a plan is held to time elapsed,
  m ÷ 12 × 100 (DOMAIN.md §8).
* **Budget progress** v = execution rate ÷ planned rate × 100.
* **Indicator progress** v = completed ÷ (target × m ÷ 12) × 100 for a quantity
  (the year's target, pro rata). A percentage target (满意度 ≥98%, 合格率 100%) is a
  level, not a quantity that accumulates, and so is a per-unit value (200 元/人): by
  default v = actual ÷ target × 100; a definition can ask for time scaling instead
  (``percent_targets: time_scaled``).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Iterable, Mapping

from core.definitions.targets import Target

HUNDRED = Decimal(100)
TWELVE = Decimal(12)
ZERO = Decimal(0)


def to_decimal(text) -> Decimal | None:
    """A number typed by a person (``"1,234.50"``, ``"56.25%"``), or None when blank or not a number."""
    if text is None:
        return None
    if isinstance(text, Decimal):
        return text
    cleaned = str(text).strip().replace(",", "").replace("，", "").rstrip("%％").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def time_elapsed_rate(month: int) -> Decimal:
    """Share of the year elapsed at the end of ``month``, in percent (6 → 50)."""
    return Decimal(month) * HUNDRED / TWELVE


def plan_points(points: Iterable[Mapping], values: Mapping[str, str] | None) -> list[tuple[int, Decimal]]:
    """``(month, cumulative %)`` of a goal form's spending plan, blanks left out.

    :param points: the definition's ``milestones.points`` (``id``, ``month``).
    :param values: the filled form's ``milestones`` (``{point_id: "50"}``).
    """
    values = values or {}
    found = []
    for point in points:
        value = to_decimal(values.get(point["id"]))
        if value is not None:
            found.append((int(point["month"]), value))
    return sorted(found)


def planned_rate(plan: list[tuple[int, Decimal]], month: int) -> tuple[Decimal, str]:
    """The planned cumulative execution (percent) at the end of ``month``, and its source.

    :return: ``(rate, "plan")`` from the spending plan, or ``(rate, "time")`` — time
        elapsed — when the project has no plan.
    """
    if not plan:
        return time_elapsed_rate(month), "time"
    previous_month, previous_value = 0, ZERO
    for point_month, value in plan:
        if month == point_month:
            return value, "plan"
        if month < point_month:
            share = Decimal(month - previous_month) / Decimal(point_month - previous_month)
            return previous_value + (value - previous_value) * share, "plan"
        previous_month, previous_value = point_month, value
    return previous_value, "plan"


def execution_rate(executed: Decimal | None, budget: Decimal | None) -> Decimal | None:
    """executed ÷ budget × 100, or None when either is missing or the budget is 0."""
    if executed is None or budget is None or budget <= 0:
        return None
    return executed * HUNDRED / budget


def budget_progress(rate: Decimal | None, planned: Decimal) -> Decimal | None:
    """v = execution rate ÷ planned rate × 100; None when nothing was planned yet."""
    if rate is None or planned <= 0:
        return None
    return rate * HUNDRED / planned


def is_level(target: Target) -> bool:
    """A percentage (``≥98%``) or a per-unit value (``200 元/人``) is a level reached,
    not a quantity that accumulates over the year."""
    return bool(target.unit) and (target.unit in ("%", "％") or "/" in target.unit)


def expected_value(target: Target, month: int, percent_targets: str = "level") -> Decimal:
    """What should be done by the end of ``month`` for a positive numeric target."""
    if is_level(target) and percent_targets == "level":
        return target.value
    return target.value * Decimal(month) / TWELVE


def indicator_progress(target: Target, actual: Decimal, month: int,
                       percent_targets: str = "level") -> Decimal | None:
    """v = actual ÷ expected × 100 for a positive target (None for a zero target)."""
    expected = expected_value(target, month, percent_targets)
    if expected <= 0:
        return None
    return actual * HUNDRED / expected
