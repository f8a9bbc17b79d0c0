"""Validate and normalise a filled-in form (a submission) against its definition.

The data format (docs/definitions.md)::

    {"fields": {id: "text"}, "milestones": {point_id: "25"}, "indicators": [row, …]}

The order of work matters, and is:

1. parse every field's text (:mod:`core.definitions.values`);
2. decide visibility in form order — a hidden field's value is dropped and counts
   as empty for everything after it;
3. required / required_if, and the parse problems, of visible fields;
4. computed values, in definition order (each may use the earlier ones);
5. checks — skipped when a field they read is already wrong or missing, so one
   typo does not also raise "the sources must add up";
6. the spending plan (:mod:`core.definitions.plan`) and the indicator rows
   (:mod:`core.definitions.rows`).

Normalised numbers are strings of Decimal (``"10.09"``): JSON-safe and exact.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any, Mapping

from .errors import Problem
from .expressions import Expression, ExpressionError, compile_expression
from .messages import problem
from .model import FormDefinition
from .plan import validate_milestones
from .rows import validate_indicators
from .semantics import expression_problem
from .values import EMPTY, Parsed, decimal_text, parse_value

_QUANTUM = {"money": Decimal("0.01"), "percent": Decimal("0.01"), "integer": Decimal(1)}


@lru_cache(maxsize=2048)
def _compiled(source: str) -> Expression:
    # definitions are immutable, so their expressions compile once per process
    return compile_expression(source)


def _truthy(value: Any) -> bool:
    return value not in (None, "") and bool(value)


def _mapping(data: Mapping, key: str, lang: str, problems: list[Problem]) -> Mapping:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(problem(key, "data_not_object", lang))
        return {}
    return value


# --- fields ------------------------------------------------------------------------------

def _parse_fields(definition: FormDefinition, raw: Mapping, lang: str) -> dict[str, Parsed]:
    return {f.id: parse_value(f, raw.get(f.id), f"fields.{f.id}", lang) for f in definition.fields}


def _evaluate_flag(source: str | None, variables: dict, path: str, lang: str,
                   problems: list[Problem], default: bool) -> bool:
    if not source:
        return default
    try:
        return _truthy(_compiled(source).evaluate(variables))
    except ExpressionError as error:
        problems.append(expression_problem(path, error, lang))
        return default


def _apply_visibility(definition: FormDefinition, parsed: dict[str, Parsed], variables: dict,
                      lang: str, problems: list[Problem]) -> set[str]:
    hidden = set()
    for field in definition.fields:
        if not _evaluate_flag(field.visible_if, variables, f"fields.{field.id}", lang, problems, True):
            hidden.add(field.id)
            parsed[field.id] = EMPTY
            variables[field.id] = None
    return hidden


def _field_problems(definition: FormDefinition, parsed: dict[str, Parsed], hidden: set[str],
                    variables: dict, lang: str) -> list[Problem]:
    problems: list[Problem] = []
    for field in definition.fields:
        if field.id in hidden:
            continue
        value, path = parsed[field.id], f"fields.{field.id}"
        if value.problem is not None:
            problems.append(value.problem)
        elif value.empty:
            needed = field.required or _evaluate_flag(field.required_if, variables, path, lang, problems, False)
            if needed:
                problems.append(problem(path, "field_required", lang, label=field.label(lang)))
    return problems


# --- computed values and checks ---------------------------------------------------------------

def format_computed(value: Any, fmt: str = "decimal") -> str | None:
    """A computed value as JSON-safe text: money and percent to 2 places, integer to 0."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        quantum = _QUANTUM.get(fmt)
        return decimal_text(value.quantize(quantum) if quantum is not None else value)
    return str(value)


def _compute(definition: FormDefinition, variables: dict, lang: str,
             problems: list[Problem] | None) -> dict[str, str | None]:
    results: dict[str, str | None] = {}
    for item in definition.computed:
        try:
            value = _compiled(item.expression).evaluate(variables)
        except ExpressionError as error:
            value = None
            if problems is not None:
                problems.append(problem(f"computed.{item.id}", "expression_failed", lang,
                                        label=item.label(lang), detail=error.describe(lang)))
        variables[item.id] = value
        results[item.id] = format_computed(value, item.format)
    return results


def _run_checks(definition: FormDefinition, variables: dict, invalid: set[str],
                lang: str) -> list[Problem]:
    problems: list[Problem] = []
    for check in definition.checks:
        try:
            expression = _compiled(check.expression)
            if invalid & (set(expression.names) | set(check.fields)):
                continue  # those fields already have their own problem
            passed = _truthy(expression.evaluate(variables))
        except ExpressionError as error:
            problems.append(problem(f"checks.{check.id}", "expression_failed", lang,
                                    label=check.message(lang), detail=error.describe(lang)))
            continue
        if not passed:
            problems += [Problem(f"fields.{field_id}", check.message(lang), check.id) for field_id in check.fields]
    return problems


# --- public API -----------------------------------------------------------------------------------

def _fields_stage(definition: FormDefinition, data: Mapping, lang: str, problems: list[Problem]):
    parsed = _parse_fields(definition, _mapping(data, "fields", lang, problems), lang)
    variables: dict[str, Any] = {key: value.variable for key, value in parsed.items()}
    hidden = _apply_visibility(definition, parsed, variables, lang, problems)
    return parsed, variables, hidden


def validate_data(definition: FormDefinition, data: Any, lang: str = "zh") -> tuple[dict, list[Problem]]:
    """Validate a submission and return ``(normalised data, problems)``.

    The normalised data has the keys ``fields`` (visible fields only; numbers as
    Decimal strings, multi-choice as lists; a value with a problem is kept as typed,
    so a saved draft shows it again), ``computed`` (strings, or None when not
    computable), ``milestones`` and ``indicators``. Values for ids the definition
    does not know are dropped. Paths: ``fields.<id>``, ``computed.<id>``,
    ``checks.<id>``, ``milestones.<id>``, ``indicators[3].target``.
    """
    if not isinstance(data, Mapping):
        return {"fields": {}, "computed": {}, "milestones": {}, "indicators": []}, \
            [problem("", "data_not_object", lang)]
    problems: list[Problem] = []
    parsed, variables, hidden = _fields_stage(definition, data, lang, problems)
    field_problems = _field_problems(definition, parsed, hidden, variables, lang)
    problems += field_problems
    # a field that is wrong or missing already has its problem: checks on it would only repeat it
    invalid = {p.path.removeprefix("fields.") for p in field_problems}
    computed = _compute(definition, variables, lang, problems)
    problems += _run_checks(definition, variables, invalid, lang)
    milestones, plan_problems = validate_milestones(definition.milestones, data.get("milestones"), lang)
    indicators, row_problems = validate_indicators(definition.indicator_tree, data.get("indicators"), lang)
    normalised = {
        "fields": {key: value.normalised for key, value in parsed.items() if key not in hidden},
        "computed": computed,
        "milestones": milestones,
        "indicators": indicators,
    }
    return normalised, problems + plan_problems + row_problems


def compute(definition: FormDefinition, data: Any) -> dict[str, str | None]:
    """The computed values only (for a live preview): never raises for bad input —
    a value that cannot be computed is None."""
    if not isinstance(data, Mapping):
        data = {}
    _, variables, _ = _fields_stage(definition, data, "zh", [])
    return _compute(definition, variables, "zh", None)
