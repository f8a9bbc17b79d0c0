"""Grade bands (等级): from a total to 优 / 良 / 中 / 差.

The default is the central and Changzhi scheme (Changzhi §27): 90–100 优, 80–<90 良,
60–<80 中, <60 差, lower bound inclusive. A definition's ``scoring.grades`` replaces
it; a plugin's ``grade`` hook may replace the choice altogether.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping

from core.definitions.errors import Problem
from core.scoring.messages import problem, zh
from core.scoring.values import ZERO, to_decimal


@dataclass(frozen=True)
class GradeBand:
    """One band: totals at or above ``min`` (and below the previous band) get ``label``."""

    min: Decimal
    label: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        """The band as the JSON/hook shape ``{"min": Decimal, "label": {...}}``."""
        return {"min": self.min, "label": dict(self.label)}


def _band(minimum: int, zh_label: str, en_label: str) -> GradeBand:
    return GradeBand(Decimal(minimum), MappingProxyType({"zh": zh_label, "en": en_label}))


DEFAULT_GRADES: tuple[GradeBand, ...] = (
    _band(90, "优", "Excellent"),
    _band(80, "良", "Good"),
    _band(60, "中", "Fair"),
    _band(0, "差", "Poor"),
)


def grade_for(total: Decimal, bands: tuple[GradeBand, ...] = DEFAULT_GRADES) -> Mapping[str, str] | None:
    """The label of the first band (highest first) whose ``min`` the total reaches.

    ``None`` only when the total is below every band, which validation prevents by
    requiring the lowest band to start at or below 0.
    """
    for band in bands:
        if total >= band.min:
            return band.label
    return None


def validate_grades(data: Any, path: str) -> list[Problem]:
    """Problems with a ``grades`` list: labels, numeric mins, descending, covering 0."""
    if not isinstance(data, list) or not data:
        return [problem(path, "not_list")]
    problems: list[Problem] = []
    previous: Decimal | None = None
    for index, item in enumerate(data):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            problems.append(problem(where, "not_object"))
            continue
        if not zh(item.get("label")):
            problems.append(problem(f"{where}.label", "label_missing"))
        minimum = to_decimal(item.get("min"))
        if minimum is None:
            problems.append(problem(f"{where}.min", "grade_min_invalid", value=item.get("min")))
            continue
        if previous is not None and minimum >= previous:
            problems.append(problem(f"{where}.min", "grades_order", previous=previous, current=minimum))
        previous = minimum
    if previous is not None and previous > ZERO:
        problems.append(problem(f"{path}[{len(data) - 1}].min", "grades_cover", min=previous))
    return problems


def parse_grades(data: Any) -> tuple[GradeBand, ...]:
    """Grade bands from a validated ``grades`` list; the default when absent."""
    if not data:
        return DEFAULT_GRADES
    return tuple(GradeBand(to_decimal(item["min"]), MappingProxyType(dict(item["label"]))) for item in data)
