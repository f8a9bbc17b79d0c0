"""Validate the level-3 indicator rows of a filled-in form.

Each row names its level-1 and level-2 category (by id; a label such as 产出指标
is accepted too, for rows imported from Excel, and normalised to the id), then
holds the tree's columns (三级指标, 绩效指标描述, 指标值, 指标值确定依据 …). The
``target`` column must parse (:func:`core.definitions.targets.parse_target`).
Keys the definition does not list (an evaluation form's ``actual``, ``score`` …)
are kept, stripped, for the modules that use them.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from .errors import Problem
from .messages import problem
from .model import Category, Column, IndicatorTree
from .targets import TargetParseError, parse_target
from .values import choice_list, find_choice, parse_number

ROW_KEYS = ("id", "level1", "level2")


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _by_id_or_label(categories: tuple[Category, ...], text: str) -> Category | None:
    for category in categories:
        if text in (category.id, category.label.zh, category.label.en):
            return category
    return None


def _level2_anywhere(tree: IndicatorTree, text: str) -> Category | None:
    return next((c for parent in tree.categories for c in parent.children
                 if text in (c.id, c.label.zh, c.label.en)), None)


def _categories(tree: IndicatorTree, row: dict, path: str, lang: str) -> tuple[Category | None, list[Problem]]:
    """Resolve level1/level2 in place (labels → ids); return the level-1 category."""
    level1_text, level2_text = row["level1"], row["level2"]
    level1 = _by_id_or_label(tree.categories, level1_text) if level1_text else None
    problems = []
    if not level1_text:
        problems.append(problem(f"{path}.level1", "row_cell_required", lang, column=_LEVEL_NAMES[lang == "en"][0]))
    elif level1 is None:
        problems.append(problem(f"{path}.level1", "unknown_level1", lang, value=level1_text,
                                choices="、".join(c.label(lang) for c in tree.categories)))
    else:
        row["level1"] = level1.id
    if not level2_text:
        problems.append(problem(f"{path}.level2", "row_cell_required", lang, column=_LEVEL_NAMES[lang == "en"][1]))
        return level1, problems
    level2 = _by_id_or_label(level1.children, level2_text) if level1 else None
    if level2 is None:
        level2 = _level2_anywhere(tree, level2_text)
        if level2 is None:
            problems.append(problem(f"{path}.level2", "unknown_level2", lang, value=level2_text))
        elif level1 is not None:
            problems.append(problem(f"{path}.level2", "level2_not_child", lang,
                                    level2=level2.label(lang), level1=level1.label(lang)))
    if level2 is not None:
        row["level2"] = level2.id
    return level1, problems


_LEVEL_NAMES = {False: ("一级指标", "二级指标"), True: ("level-1 category", "level-2 category")}


def _cell(column: Column, row: dict, path: str, lang: str) -> list[Problem]:
    value = row.get(column.id, "")
    cell_path = f"{path}.{column.id}"
    if value in ("", None):
        required = column.required or column.id == "name"  # a row without a name means nothing
        return [problem(cell_path, "row_cell_required", lang, column=column.label(lang))] if required else []
    if not isinstance(value, str):
        return [problem(cell_path, "value_not_text", lang, label=column.label(lang))]
    if column.choices:
        choice = find_choice(column.choices, value)
        if choice is None:
            return [problem(cell_path, "not_a_choice", lang, label=column.label(lang), value=value,
                            choices=choice_list(column.choices, lang))]
        row[column.id] = choice.value
    if column.id == "target":
        try:
            parse_target(value)
        except TargetParseError as error:
            return [problem(cell_path, "target_unparseable", lang, value=value,
                            position=error.position + 1, detail=error.message)]
    return []


def _weight(row: dict, path: str, lang: str) -> list[Problem]:
    # scoring forms carry a weight (分值) per row; it must be a number ≥ 0
    if row.get("weight") in (None, ""):
        return []
    value = parse_number(str(row["weight"]))
    if value is None or value < 0:
        return [problem(f"{path}.weight", "weight_not_number", lang, value=row["weight"])]
    return []


def _row_id(row: dict, index: int, taken: set[str]) -> str:
    if isinstance(row.get("id"), str) and row["id"].strip():
        return row["id"].strip()
    candidate, n = f"r{index + 1}", index + 1
    while candidate in taken:  # a row without id gets the first free r<n>
        n += 1
        candidate = f"r{n}"
    return candidate


def _min_rows(tree: IndicatorTree, rows: list[dict], lang: str) -> list[Problem]:
    problems = []
    for level1 in tree.categories:
        needed = tree.min_rows.get(level1.id, 0)
        count = sum(1 for row in rows if row.get("level1") == level1.id)
        if count < needed:
            problems.append(problem("indicators", "too_few_rows", lang,
                                    category=level1.label(lang), min=needed, count=count))
    return problems


def validate_indicators(tree: IndicatorTree | None, raw: Any, lang: str = "zh") -> tuple[list[dict], list[Problem]]:
    """``(normalised rows, problems)``; paths are ``indicators[3].target`` etc."""
    if tree is None:
        return [], []
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        return [], [problem("indicators", "indicators_not_list", lang)]
    given_ids = {r["id"].strip() for r in raw if isinstance(r, Mapping) and isinstance(r.get("id"), str)}
    rows, problems, seen = [], [], set()
    for index, item in enumerate(raw):
        path = f"indicators[{index}]"
        if not isinstance(item, Mapping):
            problems.append(problem(path, "row_not_object", lang))
            continue
        row = {key: _text(value) for key, value in item.items()}
        row.update({"id": _row_id(row, index, given_ids | seen), "level1": _text(item.get("level1")),
                    "level2": _text(item.get("level2"))})
        if row["id"] in seen:
            problems.append(problem(f"{path}.id", "duplicate_row", lang, id=row["id"]))
        seen.add(row["id"])
        _, category_problems = _categories(tree, row, path, lang)
        problems += category_problems
        for column in tree.columns:
            row.setdefault(column.id, "")
            problems += _cell(column, row, path, lang)
        problems += _weight(row, path, lang)
        rows.append({key: row[key] for key in (*ROW_KEYS, *(c.id for c in tree.columns))} | row)
    return rows, problems + _min_rows(tree, rows, lang)
