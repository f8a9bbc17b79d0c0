"""Stage 3 of reading a definition: rules that relate several values.

Each check is a small function ``(doc, lang) -> list[Problem]`` over the *raw* dict,
one concern per function. They run even when the structure (stage 1) has errors,
so an author sees every problem at once; that is why they skip, silently, anything
of the wrong shape — stage 1 has already reported it.
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Callable, Iterator, Mapping

from .errors import Problem
from .messages import problem
from .model import CHOICE_TYPES, DEFAULT_LEVEL_SCORES, NUMERIC_TYPES, SCORED_TYPES
from .schema import FIELD_TYPES

Check = Callable[[Mapping[str, Any], str], list[Problem]]

#: Which optional keys make sense for which field types (docs/definitions.md).
APPLIES_TO = {
    "min": NUMERIC_TYPES,
    "max": NUMERIC_TYPES,
    "max_length": frozenset({"text", "textarea"}),
    "pattern": frozenset({"text"}),
    "choices": CHOICE_TYPES,
    "rows": frozenset({"matrix"}),
    "weight": SCORED_TYPES,
}


# --- walking the raw document safely ----------------------------------------------------

def _items(doc: Any, key: str, path: str) -> Iterator[tuple[str, Mapping]]:
    """(``path[i]``, item) for each object in the list ``doc[key]``; anything else is skipped."""
    items = doc.get(key) if isinstance(doc, Mapping) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, Mapping):
                yield f"{path}[{index}]", item


def _sub(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def iter_fields(doc: Mapping) -> Iterator[tuple[str, Mapping]]:
    """(path, field) for every field object of every section."""
    for section_path, section in _items(doc, "sections", "sections"):
        yield from _items(section, "fields", _sub(section_path, "fields"))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> Decimal | None:
    # json.loads accepts NaN and Infinity; stage 1 refuses them, here they are skipped
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return Decimal(str(value))


# --- ids ---------------------------------------------------------------------------------

def check_unique_ids(doc: Mapping, lang: str) -> list[Problem]:
    """Fields and computed values share one namespace (expressions name both);
    checks have their own."""
    values = [*iter_fields(doc), *_items(doc, "computed", "computed")]
    checks = list(_items(doc, "checks", "checks"))
    return _duplicates(values, lang) + _duplicates(checks, lang)


def _duplicates(entries: list[tuple[str, Mapping]], lang: str) -> list[Problem]:
    seen: dict[str, str] = {}
    return [p for path, item in entries for p in _unique(item, path, seen, lang)]


# --- field options -----------------------------------------------------------------------

def check_field_options(doc: Mapping, lang: str) -> list[Problem]:
    """Choices where needed, options that fit the type, min ≤ max, a unit for money."""
    problems = []
    has_money = False
    for path, item in iter_fields(doc):
        field_type = _str(item.get("type"))
        has_money = has_money or field_type == "money"
        problems += _check_applicable(path, item, field_type, lang)
        problems += _check_choices(path, item, field_type, lang)
        low, high = _number(item.get("min")), _number(item.get("max"))
        if low is not None and high is not None and low > high:
            problems.append(problem(_sub(path, "min"), "min_above_max", lang, min=low, max=high))
    if has_money and "unit" not in doc:
        problems.append(problem("unit", "unit_needed", lang))
    return problems


def _check_applicable(path: str, item: Mapping, field_type: str | None, lang: str) -> list[Problem]:
    if field_type not in FIELD_TYPES:  # stage 1 reports an unknown type
        return []
    return [problem(_sub(path, key), "not_applicable", lang, key=key, type=field_type)
            for key, types in APPLIES_TO.items() if key in item and field_type not in types]


def _check_choices(path: str, item: Mapping, field_type: str | None, lang: str) -> list[Problem]:
    if field_type not in CHOICE_TYPES:
        return []
    choices = item.get("choices")
    if not isinstance(choices, list) or not choices:
        return [problem(_sub(path, "choices"), "choices_missing", lang, type=field_type)]
    return _duplicate_values(choices, _sub(path, "choices"), lang)


def _duplicate_values(choices: list, path: str, lang: str) -> list[Problem]:
    problems, seen = [], set()
    for index, choice in enumerate(choices):
        value = _str(choice.get("value")) if isinstance(choice, Mapping) else None
        if value is not None and value in seen:
            problems.append(problem(f"{path}[{index}].value", "duplicate_choice", lang, value=value))
        seen.add(value)
    return problems


# --- expressions -------------------------------------------------------------------------

def _compile(source: Any, allowed: set[str], path: str, lang: str) -> list[Problem]:
    from .expressions import ExpressionError, compile_expression

    if not isinstance(source, str) or not source.strip():
        return []  # stage 1 reports the type
    try:
        expression = compile_expression(source, allowed_names=set(allowed))
    except ExpressionError as error:
        return [expression_problem(path, error, lang)]
    # belt and braces: report unknown names even if the compiler only records them
    return [problem(path, "unknown_name", lang, name=name)
            for name in sorted(set(expression.names) - allowed)]


def expression_problem(path: str, error: Any, lang: str = "zh") -> Problem:
    """An :class:`ExpressionError` as a Problem; positions are shown counting from 1."""
    detail = getattr(error, "message_en", None) if lang == "en" else None
    detail = detail or getattr(error, "message", str(error))
    position = getattr(error, "position", None)
    if isinstance(position, int):  # ExpressionError positions are 0-based
        return problem(path, "expression", lang, position=position + 1, detail=detail)
    return problem(path, "expression_nopos", lang, detail=detail)


def check_expressions(doc: Mapping, lang: str) -> list[Problem]:
    """Expressions compile and name only known ids.

    Fields may refer to any field; a computed value to fields and earlier computed
    values (so there are no cycles); checks to everything.
    """
    field_ids = {i for _, f in iter_fields(doc) if (i := _str(f.get("id")))}
    problems = []
    for path, item in iter_fields(doc):
        for key in ("visible_if", "required_if"):
            if key in item:
                problems += _compile(item[key], field_ids, _sub(path, key), lang)
    known = set(field_ids)
    for path, item in _items(doc, "computed", "computed"):
        problems += _compile(item.get("expression"), known, _sub(path, "expression"), lang)
        if _str(item.get("id")):
            known.add(item["id"])
    for path, item in _items(doc, "checks", "checks"):
        problems += _compile(item.get("expression"), known, _sub(path, "expression"), lang)
        names = item.get("fields") if isinstance(item.get("fields"), list) else []
        problems += [problem(f"{path}.fields[{index}]", "unknown_name", lang, name=name)
                     for index, name in enumerate(names) if isinstance(name, str) and name not in field_ids]
    return problems


# --- milestones -----------------------------------------------------------------------------

def check_milestones(doc: Mapping, lang: str) -> list[Problem]:
    """Point ids unique, months ascending within 1..12, complete_by_month one of them."""
    milestones = doc.get("milestones")
    if not isinstance(milestones, Mapping):
        return []
    problems, seen, months = [], {}, []
    for path, point in _items(milestones, "points", "milestones.points"):
        point_id, month = _str(point.get("id")), point.get("month")
        if point_id in seen:
            problems.append(problem(f"{path}.id", "duplicate_id", lang, id=point_id, first=seen[point_id]))
        elif point_id:
            seen[point_id] = path
        if isinstance(month, int) and not isinstance(month, bool):
            if months and month <= months[-1]:
                problems.append(problem(f"{path}.month", "months_order", lang, month=month, previous=months[-1]))
            months.append(month)
    by = milestones.get("complete_by_month")
    if isinstance(by, int) and not isinstance(by, bool) and months and by not in months:
        problems.append(problem("milestones.complete_by_month", "complete_by_unknown", lang,
                                month=by, months=", ".join(map(str, months))))
    return problems


# --- indicator tree --------------------------------------------------------------------------

def check_indicator_tree(doc: Mapping, lang: str) -> list[Problem]:
    """Category ids unique in the whole tree, column ids unique, min_rows keys are
    level-1 ids, and children's weights add up to their parent's."""
    tree = doc.get("indicator_tree")
    if not isinstance(tree, Mapping):
        return []
    problems, seen = [], {}
    level1_ids = set()
    for path, level1 in _items(tree, "categories", "indicator_tree.categories"):
        problems += _unique(level1, path, seen, lang)
        level1_ids.add(level1.get("id"))
        children = list(_items(level1, "children", f"{path}.children"))
        for child_path, child in children:
            problems += _unique(child, child_path, seen, lang)
        problems += _weights_add_up(level1, [c for _, c in children], path, lang)
    columns: dict[str, str] = {}
    for path, column in _items(tree, "columns", "indicator_tree.columns"):
        problems += _unique(column, path, columns, lang)
    min_rows = tree.get("min_rows")
    if isinstance(min_rows, Mapping):
        problems += [problem(f"indicator_tree.min_rows.{key}", "min_rows_unknown", lang, key=key)
                     for key in min_rows if key not in level1_ids]
    return problems


def _unique(item: Mapping, path: str, seen: dict[str, str], lang: str) -> list[Problem]:
    item_id = _str(item.get("id"))
    if item_id is None:
        return []
    if item_id in seen:
        return [problem(f"{path}.id", "duplicate_id", lang, id=item_id, first=seen[item_id])]
    seen[item_id] = path
    return []


def _weights_add_up(parent: Mapping, children: list[Mapping], path: str, lang: str) -> list[Problem]:
    # the Shijiazhuang self-evaluation form prints 45 for children adding up to 36:
    # exactly the error an author must be told about
    weight = _number(parent.get("weight"))
    weights = [_number(c.get("weight")) for c in children]
    if weight is None or not weights or None in weights:
        return []
    total = sum(weights, Decimal(0))
    if total != weight:
        return [problem(f"{path}.weight", "weights_sum", lang, total=total, weight=weight)]
    return []


# --- scoring ---------------------------------------------------------------------------------

def check_scoring(doc: Mapping, lang: str) -> list[Problem]:
    """The ``scoring`` section, by the scoring engine's own validator.

    Rule types are those of the running application (the engine's and every plugin's,
    ``core.plugins.active_scoring_registry``); outside an application, the engine's.
    """
    if "scoring" not in doc or not isinstance(doc["scoring"], Mapping):
        return []
    try:
        from core.plugins import active_scoring_registry
        from core.scoring.schema import validate_scoring
    except ImportError:  # the scoring engine is optional for the definition language
        return []
    return list(validate_scoring(doc["scoring"], path="scoring", registry=active_scoring_registry()))


# --- matrix rows and satisfaction scales (surveys) ------------------------------------------

def check_matrix_and_scales(doc: Mapping, lang: str) -> list[Problem]:
    """A matrix has statements (``rows``) with unique ids; in a survey, every rating
    and matrix has at least two scored choices (a ``score``, or a value "5"…"1")."""
    problems = []
    for path, item in iter_fields(doc):
        field_type = _str(item.get("type"))
        if field_type == "matrix":
            rows = item.get("rows")
            if not isinstance(rows, list) or not rows:
                problems.append(problem(_sub(path, "rows"), "rows_missing", lang))
            else:
                problems += _duplicates(list(_items(item, "rows", _sub(path, "rows"))), lang)
        choices = item.get("choices")
        if doc.get("kind") == "survey" and field_type in SCORED_TYPES and isinstance(choices, list) and choices:
            scored = [c for c in choices if isinstance(c, Mapping)
                      and (_number(c.get("score")) is not None or c.get("value") in DEFAULT_LEVEL_SCORES)]
            if len(scored) < 2:
                problems.append(problem(_sub(path, "choices"), "scale_missing", lang))
    return problems


#: Every stage-3 check, in the order their problems are reported.
CHECKS: tuple[Check, ...] = (check_unique_ids, check_field_options, check_expressions,
                             check_milestones, check_indicator_tree, check_scoring,
                             check_matrix_and_scales)


def semantic_problems(doc: Mapping[str, Any], lang: str = "zh") -> list[Problem]:
    """All stage-3 problems of a definition dict."""
    from .monitoring import check_monitoring  # the monitoring block (双监控), kept in its own module

    return [p for check in (*CHECKS, check_monitoring) for p in check(doc, lang)]
