"""What the public may see (信息公开), decided without Flask or the database.

- Years: a jurisdiction publishes the years its pack names (``pack.json``:
  ``"disclosure": {"years": [2022, 2023]}``, stored in ``Jurisdiction.settings``);
  an admin may override them in the app (``settings["disclosure_override"]``, kept
  across pack syncs). No setting means nothing is published.
- Goals: only the data of the *approved* revision, and of it only what the paper
  form prints: fields (without signatures and attachments, which name people or
  hold internal files), the spending plan and the indicator rows' printed columns.
  Reviews, comments, quality findings and who approved are never passed on.
- Results: the total, the grade and the level-1 subtotals of an approved
  self-evaluation.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

PACK_KEY = "disclosure"
OVERRIDE_KEY = "disclosure_override"
#: Field types never published: they name people (signatures) or hold internal files.
HIDDEN_FIELD_TYPES = frozenset({"signature", "file"})
ROW_KEYS = ("id", "level1", "level2")
MIN_YEAR, MAX_YEAR = 2000, 2100


def _years(source: Any) -> tuple[int, ...]:
    if not isinstance(source, Mapping):
        return ()
    years = source.get("years") or ()
    if not isinstance(years, (list, tuple)):
        return ()
    return tuple(sorted({y for y in years if isinstance(y, int) and not isinstance(y, bool)
                         and MIN_YEAR <= y <= MAX_YEAR}))


def has_override(settings: Mapping | None) -> bool:
    return isinstance((settings or {}).get(OVERRIDE_KEY), Mapping)


def published_years(settings: Mapping | None) -> tuple[int, ...]:
    """The years published: the admin's override if set, else the pack's, else none."""
    settings = settings or {}
    if has_override(settings):
        return _years(settings[OVERRIDE_KEY])
    return _years(settings.get(PACK_KEY))


def pack_years(settings: Mapping | None) -> tuple[int, ...]:
    return _years((settings or {}).get(PACK_KEY))


def with_override(settings: Mapping | None, years: Iterable[int] | None) -> dict:
    """New settings with the override set to ``years`` (None: follow the pack again)."""
    result = dict(settings or {})
    if years is None:
        result.pop(OVERRIDE_KEY, None)
    else:
        result[OVERRIDE_KEY] = {"years": sorted(set(years))}
    return result


_YEAR_RANGE = re.compile(r"^(\d{4})[-–—~至](\d{4})$")


def parse_years(text: str) -> tuple[list[int], str | None]:
    """``"2022, 2023"``, ``"2022，2023"`` or ``"2021-2023"`` → years; or an error message."""
    years: set[int] = set()
    text = re.sub(r"\s*([-–—~至])\s*", r"\1", (text or "").strip())
    for part in re.split(r"[,，、;；\s]+", text):
        part = part.strip()
        if not part:
            continue
        match = _YEAR_RANGE.match(part)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if low > high:
                return [], f"年度范围「{part}」的起始年度大于结束年度"
            span = range(low, high + 1)
        elif part.isdigit() and len(part) == 4:
            span = range(int(part), int(part) + 1)
        else:
            return [], f"「{part}」不是年度：请写四位数年度，用逗号分隔，如 2022, 2023 或 2021-2023"
        for year in span:
            if not MIN_YEAR <= year <= MAX_YEAR:
                return [], f"年度 {year} 不在 {MIN_YEAR}–{MAX_YEAR} 之间"
            years.add(year)
    return sorted(years), None


def public_goal_data(definition: Mapping, data: Mapping | None, column_ids: Iterable[str]) -> dict:
    """The printable part of an approved goal form's ``data``."""
    data = data or {}
    printable = {spec["id"] for section in definition.get("sections", [])
                 for spec in section.get("fields", []) if spec.get("type") not in HIDDEN_FIELD_TYPES}
    fields = {key: value for key, value in (data.get("fields") or {}).items() if key in printable}
    points = {p["id"] for p in (definition.get("milestones") or {}).get("points", [])}
    milestones = {key: value for key, value in (data.get("milestones") or {}).items() if key in points}
    keep = set(ROW_KEYS) | set(column_ids)
    rows = [{key: value for key, value in row.items() if key in keep}
            for row in (data.get("indicators") or []) if isinstance(row, Mapping)]
    return {"fields": fields, "milestones": milestones, "indicators": rows}


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def evaluation_summary(scoring: Mapping | None, result: Mapping | None) -> dict | None:
    """Total, grade and level-1 subtotals of a scoring result (``ScoreResult.as_dict()``).

    ``scoring`` is the evaluation's scoring tree, for the level-1 labels and weights.
    """
    if not isinstance(result, Mapping) or result.get("total") in (None, ""):
        return None
    groups = result.get("groups") or {}
    lines = []
    for node in (scoring or {}).get("nodes", []):
        if not isinstance(node, Mapping) or node.get("id") not in groups:
            continue
        lines.append({"label": node.get("label") or {"zh": node["id"]}, "weight": _number(node.get("weight")),
                      "score": _number(groups[node["id"]])})
    grade = result.get("grade")
    return {"total": _number(result.get("total")), "max": _number(result.get("max")),
            "grade": grade if isinstance(grade, Mapping) else ({"zh": str(grade)} if grade else None),
            "groups": lines}
