"""A monitoring definition's settings: rounds, light thresholds, which fields hold what.

Read from the definition's ``monitoring`` block (docs/definitions.md, "Monitoring");
every key is optional and falls back to the national practice of DOMAIN.md §8. The
settings travel with the definition version a report was filled against, so a
jurisdiction that changes its thresholds does not recolour last year's lights.

Pure: no Flask, no database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

#: The lights, best to worst. Blue (over-performance: "check the target") ranks
#: between green and yellow, so a project whose worst news is a blue indicator is blue.
LIGHTS = ("green", "blue", "yellow", "red")
SEVERITY = {light: rank for rank, light in enumerate(LIGHTS)}

LIGHT_LABELS = {
    "red": {"zh": "红灯", "en": "Red"},
    "yellow": {"zh": "黄灯", "en": "Yellow"},
    "green": {"zh": "绿灯", "en": "Green"},
    "blue": {"zh": "蓝灯", "en": "Blue"},
    None: {"zh": "未填报", "en": "Not filed"},
}

PERCENT_TARGET_MODES = ("level", "time_scaled")

DEFAULT_FIELDS = {"budget": "annual_budget", "executed": "executed",
                  "deviation_reason": "budget_deviation_reason"}


@dataclass(frozen=True)
class Band:
    """Light thresholds on a progress value v (percent): red below ``red_below``,
    yellow up to ``green_from``, green from there, blue from ``blue_from`` (if set)."""

    red_below: Decimal
    green_from: Decimal
    blue_from: Decimal | None = None

    def light(self, value: Decimal) -> str:
        if value < self.red_below:
            return "red"
        if value < self.green_from:
            return "yellow"
        if self.blue_from is not None and value >= self.blue_from:
            return "blue"
        return "green"


#: DOMAIN.md §8: budget v = execution rate ÷ planned rate × 100, red < 60, yellow
#: 60–80, green ≥ 80; indicator progress likewise, blue ≥ 120.
DEFAULT_BUDGET_BAND = Band(Decimal(60), Decimal(80))
DEFAULT_INDICATOR_BAND = Band(Decimal(60), Decimal(80), Decimal(120))


@dataclass(frozen=True)
class KeyProjects:
    """Large projects behind schedule get key monitoring (重点监控): budget at least
    ``min_budget`` (in the form's money unit) and execution below ``below_rate`` %
    at a round covering at least ``from_month`` months."""

    min_budget: Decimal
    below_rate: Decimal
    from_month: int = 1


@dataclass(frozen=True)
class Round:
    """A monitoring round of one year: it covers January to the end of ``month``.

    ``settings`` are those of the definition the round belongs to (so a hook that
    receives a round can read the jurisdiction's thresholds).
    """

    id: str
    month: int
    label: Mapping[str, str]
    year: int | None = None
    settings: "MonitoringSettings | None" = field(default=None, compare=False, repr=False)

    def in_year(self, year: int) -> "Round":
        return Round(self.id, self.month, self.label, year, self.settings)


@dataclass(frozen=True)
class MonitoringSettings:
    rounds: tuple[Round, ...]
    budget_band: Band = DEFAULT_BUDGET_BAND
    indicator_band: Band = DEFAULT_INDICATOR_BAND
    percent_targets: str = "level"
    reason_required_for: frozenset[str] = frozenset({"red"})
    fields: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_FIELDS))
    key_projects: KeyProjects | None = None

    def round(self, round_id: str, year: int | None = None) -> Round | None:
        found = next((r for r in self.rounds if r.id == round_id), None)
        return found.in_year(year) if found is not None and year is not None else found

    def current_round(self, month: int) -> Round | None:
        """The latest round whose period has ended by ``month`` (else the first round)."""
        ended = [r for r in self.rounds if r.month <= month]
        return ended[-1] if ended else (self.rounds[0] if self.rounds else None)


#: Used when a definition has no ``monitoring`` block: the end-of-June round and
#: the August concentrated round covering January–July (DOMAIN.md §8).
DEFAULT_ROUNDS = (
    {"id": "h1", "month": 6, "label": {"zh": "6月底监控", "en": "End-of-June round"}},
    {"id": "aug", "month": 7, "label": {"zh": "8月集中监控（1—7月）", "en": "August round (January–July)"}},
)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _band(doc: Mapping | None, default: Band) -> Band:
    if not doc:
        return default
    return Band(_decimal(doc.get("red_below", default.red_below)),
                _decimal(doc.get("green_from", default.green_from)),
                _decimal(doc.get("blue_from", default.blue_from)))


def monitoring_settings(raw: Mapping[str, Any] | None) -> MonitoringSettings:
    """The settings of a (validated) definition dict; defaults for what it leaves out."""
    block = (raw or {}).get("monitoring") or {}
    thresholds = block.get("thresholds") or {}
    key = block.get("key_projects")
    settings = MonitoringSettings(
        rounds=(),
        budget_band=_band(thresholds.get("budget"), DEFAULT_BUDGET_BAND),
        indicator_band=_band(thresholds.get("indicator"), DEFAULT_INDICATOR_BAND),
        percent_targets=block.get("percent_targets", "level"),
        reason_required_for=frozenset(block.get("reason_required_for", ["red"])),
        fields={**DEFAULT_FIELDS, **(block.get("fields") or {})},
        key_projects=KeyProjects(_decimal(key["min_budget"]), _decimal(key["below_rate"]),
                                 int(key.get("from_month", 1))) if key else None,
    )
    rounds = tuple(Round(r["id"], int(r["month"]), dict(r["label"]), settings=settings)
                   for r in block.get("rounds") or DEFAULT_ROUNDS)
    object.__setattr__(settings, "rounds", rounds)  # rounds point back at their settings
    return settings
