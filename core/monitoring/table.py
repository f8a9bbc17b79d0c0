"""Finance's monitoring table: one row per project, filtered and sorted on the server.

Pure: rows are plain dataclasses built by the view; filtering and sorting take the
query-string values as they come (unknown values are ignored, never an error), so
the table works with links and a GET form, without JavaScript.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.monitoring.settings import SEVERITY


@dataclass
class Row:
    project_id: int
    name: str
    organization: str
    organization_id: int
    jurisdiction: str
    budget: Decimal
    multi_year: bool = False
    round_id: str | None = None       # this project's round matching the one chosen (None: it has none)
    report_id: int | None = None
    state: str | None = None          # None: no report yet
    light: str | None = None          # the project light of a submitted report
    budget_light: str | None = None
    execution_rate: Decimal | None = None
    planned_rate: Decimal | None = None
    progress: Decimal | None = None   # budget v
    counts: dict = field(default_factory=dict)
    alerts: list = field(default_factory=list)
    suspension: str | None = None     # state of an active suspension
    suspension_id: int | None = None
    can_suspend: bool = False         # the viewer is finance of this project's jurisdiction
    can_file: bool = False            # the viewer files this project's reports


LIGHT_FILTERS = ("red", "yellow", "green", "blue", "none")
STATE_FILTERS = ("submitted", "draft", "returned", "missing")
SORT_KEYS = ("light", "name", "organization", "budget", "execution_rate", "planned_rate", "progress", "state",
             "alerts")


def filter_rows(rows: list[Row], *, light: str = "", state: str = "", organization: str = "",
                suspended: str = "", q: str = "") -> list[Row]:
    """Rows matching every filter given; an empty or unknown value does not filter."""
    out = rows
    if light in LIGHT_FILTERS:
        out = [r for r in out if (r.light or "none") == light]
    if state in STATE_FILTERS:
        out = [r for r in out if (r.state or "missing") == state]
    if organization.isdigit():
        out = [r for r in out if r.organization_id == int(organization)]
    if suspended in ("yes", "no"):
        out = [r for r in out if (r.suspension is not None) == (suspended == "yes")]
    q = (q or "").strip()
    if q:
        out = [r for r in out if q in r.name or q in r.organization]
    return out


def _key(row: Row, key: str) -> Any:
    if key == "light":
        return SEVERITY.get(row.light, -1)
    if key == "alerts":
        return len(row.alerts)
    return getattr(row, key)


def sort_rows(rows: list[Row], key: str = "light", descending: bool = True) -> list[Row]:
    """Sorted by ``key`` (default: the worst light first); empty values always last,
    ties by project name."""
    key = key if key in SORT_KEYS else "light"
    by_name = sorted(rows, key=lambda r: (r.name, r.project_id))
    present = [r for r in by_name if _key(r, key) not in (None, -1)]
    missing = [r for r in by_name if _key(r, key) in (None, -1)]
    return sorted(present, key=lambda r: _key(r, key), reverse=descending) + missing
