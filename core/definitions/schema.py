"""Stage 1 of reading a definition: its *structure*, as a marshmallow schema.

The schema checks keys, types and single-value rules (an id's spelling, a field
``type`` among the known ones, a month in 1..12). Rules that relate several values
(unique ids, expressions, min ≤ max, months ascending) are stage 3, in
:mod:`core.definitions.semantics`.

Messages are :class:`~core.definitions.messages.Msg` keys, not English sentences, so
:func:`structure_problems` can render them in the reader's language with the JSON
path marshmallow's nested error dict gives (``sections[2].fields[4].min``).

JSON is taken literally: ``"min": "5"`` is a string, not a number, and a key the
language does not know is an error — a misspelt ``requried`` must not pass silently.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate

from .errors import Problem
from .messages import Msg

FIELD_TYPES = ("text", "textarea", "integer", "decimal", "money", "percent", "date",
               "choice", "multi_choice", "rating", "yes_no", "file", "signature", "matrix")
KINDS = ("goal", "monitoring", "self_evaluation", "assessment", "survey", "ex_ante")
UNITS = ("元", "万元")
ROLES = ("quantity", "quality", "timeliness", "cost", "effect", "economic", "social",
         "ecological", "sustainable", "satisfaction")
COMPUTED_FORMATS = ("decimal", "integer", "money", "percent", "text")
SEVERITIES = ("off", "warning", "error")
#: Where a field's initial value may come from (docs/definitions.md, "Pre-filling").
PREFILL_SOURCES = ("project.name", "project.code", "project.year", "project.budget",
                   "organization.name", "jurisdiction.name")

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
DEFINITION_ID_PATTERN = r"^[a-z0-9_.-]+$"

_BASE = {"required": Msg("required"), "null": Msg("null"), "validator_failed": Msg("invalid")}


# --- fields that take JSON literally ------------------------------------------------

class Str(fields.String):
    default_error_messages = {**_BASE, "invalid": Msg("not_string")}


class JsonNumber(fields.Field):
    """An int or float from JSON; a string such as ``"5"`` or a boolean is refused."""

    default_error_messages = {**_BASE, "invalid": Msg("not_number")}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.make_error("invalid", input=value)
        return value


class JsonInt(fields.Field):
    """An integer from JSON (``3``, not ``3.5``, ``"3"`` or ``true``)."""

    default_error_messages = {**_BASE, "invalid": Msg("not_integer")}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", input=value)
        return value


class JsonBool(fields.Field):
    """``true`` or ``false``; marshmallow's Boolean would also take ``"yes"`` and ``1``."""

    default_error_messages = {**_BASE, "invalid": Msg("not_boolean")}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Lst(fields.List):
    default_error_messages = {**_BASE, "invalid": Msg("not_list")}


class Obj(fields.Dict):
    """A free-form JSON object (its content is checked elsewhere, e.g. ``scoring``)."""

    default_error_messages = {**_BASE, "invalid": Msg("not_object")}


class Nest(fields.Nested):
    default_error_messages = {**_BASE, "type": Msg("not_object")}


class MapOf(fields.Field):
    """A JSON object whose keys and values are each checked by a marshmallow field.

    Errors are keyed by the object's own key, so the path reads ``min_rows.output``
    (marshmallow's Dict would say ``min_rows.output.value``).
    """

    default_error_messages = {**_BASE, "invalid": Msg("not_object")}

    def __init__(self, keys: fields.Field, values: fields.Field, **kwargs: Any):
        super().__init__(**kwargs)
        self.key_field, self.value_field = keys, values

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, Mapping):
            raise self.make_error("invalid")
        errors: dict[str, list] = {}
        for key, item in value.items():
            for field, checked in ((self.key_field, key), (self.value_field, item)):
                try:
                    field.deserialize(checked)
                except ValidationError as error:
                    errors.setdefault(key, []).extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return dict(value)


# --- validators ----------------------------------------------------------------------

def one_of(choices: tuple[str, ...], key: str) -> validate.OneOf:
    return validate.OneOf(choices, error=Msg(key))


def an_id(pattern: str = ID_PATTERN, key: str = "bad_id") -> validate.Regexp:
    return validate.Regexp(pattern, error=Msg(key))


def at_least(minimum: float) -> validate.Range:
    return validate.Range(min=minimum, error=Msg("at_least"))


def between(low: float, high: float) -> validate.Range:
    return validate.Range(min=low, max=high, error=Msg("range"))


NOT_EMPTY = validate.Length(min=1, error=Msg("empty"))


def regex_compiles(value: str) -> None:
    """A ``pattern`` must be a valid Python regular expression."""
    try:
        re.compile(value)
    except re.error as error:
        raise ValidationError(Msg("bad_pattern", detail=str(error))) from error


# --- schemas -------------------------------------------------------------------------

class StrictSchema(Schema):
    """Unknown keys are errors; messages are catalogue keys."""

    error_messages = {"unknown": Msg("unknown_key"), "type": Msg("not_object")}

    class Meta:
        unknown = RAISE


class LabelSchema(StrictSchema):
    zh = Str(required=True, validate=NOT_EMPTY)
    en = Str()


def a_label(**kwargs: Any) -> Nest:
    return Nest(LabelSchema, **kwargs)


class ChoiceSchema(StrictSchema):
    value = Str(required=True, validate=NOT_EMPTY)
    label = a_label(required=True)
    score = JsonNumber(validate=between(0, 100))  # a satisfaction level's score (surveys)


class MatrixRowSchema(StrictSchema):
    """One statement of a ``matrix`` field (rows × the field's choices)."""

    id = Str(required=True, validate=an_id())
    label = a_label(required=True)
    weight = JsonNumber(validate=at_least(0))
    help = a_label()


class FieldSchema(StrictSchema):
    id = Str(required=True, validate=an_id())
    type = Str(required=True, validate=one_of(FIELD_TYPES, "unknown_type"))
    label = a_label(required=True)
    required = JsonBool()
    min = JsonNumber()
    max = JsonNumber()
    max_length = JsonInt(validate=at_least(1))
    pattern = Str(validate=regex_compiles)
    choices = Lst(Nest(ChoiceSchema))
    visible_if = Str(validate=NOT_EMPTY)
    required_if = Str(validate=NOT_EMPTY)
    help = a_label()
    placeholder = a_label()
    prefill = Str(validate=one_of(PREFILL_SOURCES, "unknown_prefill"))
    rows = Lst(Nest(MatrixRowSchema))  # matrix only
    weight = JsonNumber(validate=at_least(0))  # rating and matrix: weight in a satisfaction index


class SectionSchema(StrictSchema):
    id = Str(validate=an_id())
    label = a_label(required=True)
    help = a_label()
    columns = JsonInt(validate=between(1, 4))  # layout hint: fields per row, as on paper
    fields = Lst(Nest(FieldSchema), required=True)


class ComputedSchema(StrictSchema):
    id = Str(required=True, validate=an_id())
    label = a_label(required=True)
    expression = Str(required=True, validate=NOT_EMPTY)
    format = Str(validate=one_of(COMPUTED_FORMATS, "unknown_format"))
    help = a_label()


class CheckSchema(StrictSchema):
    id = Str(required=True, validate=an_id())
    expression = Str(required=True, validate=NOT_EMPTY)
    fields = Lst(Str(), required=True, validate=NOT_EMPTY)
    message = a_label(required=True)


class MilestonePointSchema(StrictSchema):
    id = Str(required=True, validate=an_id())
    month = JsonInt(required=True, validate=between(1, 12))
    label = a_label(required=True)


class MilestonesSchema(StrictSchema):
    label = a_label(required=True)
    points = Lst(Nest(MilestonePointSchema), required=True, validate=NOT_EMPTY)
    complete_by_month = JsonInt(validate=between(1, 12))
    help = a_label()


class Level2Schema(StrictSchema):
    id = Str(required=True, validate=an_id())
    label = a_label(required=True)
    role = Str(validate=one_of(ROLES, "unknown_role"))
    weight = JsonNumber(validate=at_least(0))
    help = a_label()


class Level1Schema(Level2Schema):
    children = Lst(Nest(Level2Schema), required=True, validate=NOT_EMPTY)


class ColumnSchema(StrictSchema):
    id = Str(required=True, validate=an_id())
    label = a_label(required=True)
    required = JsonBool()
    choices = Lst(Nest(ChoiceSchema), validate=NOT_EMPTY)
    help = a_label()


class IndicatorTreeSchema(StrictSchema):
    label = a_label(required=True)
    allow_add_rows = JsonBool()
    categories = Lst(Nest(Level1Schema), required=True, validate=NOT_EMPTY)
    columns = Lst(Nest(ColumnSchema), validate=NOT_EMPTY)
    min_rows = MapOf(Str(), JsonInt(validate=at_least(0)))
    help = a_label()


class DefinitionSchema(StrictSchema):
    id = Str(required=True, validate=an_id(DEFINITION_ID_PATTERN, "bad_definition_id"))
    version = JsonInt(required=True, validate=at_least(1))
    kind = Str(required=True, validate=one_of(KINDS, "unknown_kind"))
    title = a_label(required=True)
    description = a_label()
    unit = Str(validate=one_of(UNITS, "unknown_unit"))
    sections = Lst(Nest(SectionSchema), required=True)
    computed = Lst(Nest(ComputedSchema))
    checks = Lst(Nest(CheckSchema))
    milestones = Nest(MilestonesSchema)
    indicator_tree = Nest(IndicatorTreeSchema)
    scoring = Obj()
    monitoring = Obj()  # rounds and light thresholds, checked in core/definitions/monitoring.py


class GradeBandSchema(StrictSchema):
    min = JsonNumber(required=True, validate=between(0, 100))
    label = a_label(required=True)


class DisclosureSchema(StrictSchema):
    """Public disclosure (信息公开): the years whose approved goals and results are published."""

    years = Lst(JsonInt(validate=between(2000, 2100)), required=True)


class ExAnteScopeSchema(StrictSchema):
    """Which projects need an ex-ante assessment (docs/definitions.md, "Ex-ante assessment forms")."""

    project_nature = Lst(Str(validate=NOT_EMPTY))
    budget_at_least = JsonNumber(allow_none=True, validate=at_least(0))


class WorkflowSchema(Schema):
    """Workflow switches: the ex-ante gate's are checked, others are free-form."""

    error_messages = {"type": Msg("not_object")}
    require_ex_ante = JsonBool()
    ex_ante_scope = Nest(ExAnteScopeSchema)

    class Meta:
        unknown = INCLUDE


class PackSchema(StrictSchema):
    code = Str(required=True, validate=an_id())
    name = a_label(required=True)
    parent = Str(allow_none=True, validate=an_id())
    money_unit = Str(required=True, validate=one_of(UNITS, "unknown_unit"))
    body = a_label()
    forms = MapOf(Str(validate=one_of(KINDS, "unknown_kind")), Str(validate=NOT_EMPTY), required=True)
    quality_rules = MapOf(Str(validate=an_id()), Str(validate=one_of(SEVERITIES, "bad_severity")))
    grade_bands = Lst(Nest(GradeBandSchema), validate=NOT_EMPTY)
    workflow = Nest(WorkflowSchema)
    disclosure = Nest(DisclosureSchema)


# --- from marshmallow's error dict to Problems -----------------------------------------

def join_path(prefix: str, key: Any) -> str:
    """``sections`` + 2 → ``sections[2]``; ``sections[2]`` + ``fields`` → ``sections[2].fields``."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key == "_schema":
        return prefix
    return f"{prefix}.{key}" if prefix else str(key)


def _flatten(errors: Any, path: str, name: Any) -> list[tuple[str, Any, Any]]:
    if isinstance(errors, Mapping):
        out = []
        for key, sub in errors.items():
            out.extend(_flatten(sub, join_path(path, key), name if key == "_schema" else key))
        return out
    if isinstance(errors, (list, tuple)):
        return [item for message in errors for item in _flatten(message, path, name)]
    return [(path, name, errors)]


def structure_problems(errors: Mapping, lang: str = "zh", prefix: str = "") -> list[Problem]:
    """Turn a marshmallow error dict into Problems with JSON paths."""
    problems = []
    for path, name, message in _flatten(errors, prefix, ""):
        if isinstance(message, Msg):
            problems.append(Problem(path, message.render(lang, name=name), message.key))
        else:  # a message from a validator we did not write: keep it as it is
            problems.append(Problem(path, str(message), "invalid"))
    return problems


def check_structure(doc: Any, schema: Schema, lang: str = "zh", prefix: str = "") -> list[Problem]:
    """Validate ``doc`` against ``schema``; return the problems (empty when valid)."""
    return structure_problems(schema.validate(doc) if isinstance(doc, Mapping)
                              else {"_schema": [Msg("not_object")]}, lang, prefix)
